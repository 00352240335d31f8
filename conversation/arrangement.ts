/**
 * An arrangement: the offer a cardholder consented to, with what they said and under which policy.
 * It is the record an issuer acts on, so it never expires and is written exactly once.
 *
 * References look like `FB-2026-7K3M-9QX2`: the year, then 8 Crockford base32 symbols (40 random
 * bits). Crockford's alphabet has no I, L, O or U, so a reference read out over the phone is not
 * misheard as another; random rather than sequential so one reference does not reveal its neighbours.
 */
import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { AuthorityLevel, Offer } from '../policy/index.js';
import { Language } from './language.js';
import { DateStyle } from './messages/index.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const GROUP = `[${CROCKFORD}]{4}`;

export const ArrangementReference = z
  .string()
  .regex(new RegExp(`^FB-\\d{4}-${GROUP}-${GROUP}$`), 'must look like FB-2026-7K3M-9QX2');
export type ArrangementReference = z.infer<typeof ArrangementReference>;

export const Arrangement = z.object({
  reference: ArrangementReference,
  conversationId: z.string().min(1),
  accountId: z.string().min(1),
  channel: z.string().min(1),
  language: Language,
  /** How the cardholder writes dates, so reminders and the agreement document use their order; iso before it was recorded. */
  dateStyle: DateStyle.default('iso'),
  offer: Offer,
  policyId: z.string().min(1),
  policyVersion: z.string().min(1),
  /** The champion/challenger variant it was made under ("challenger default-cn@2026.3"); null before variants existed. */
  variant: z.string().nullable().default(null),
  /** The cardholder's own words of consent, verbatim. */
  consentText: z.string().min(1),
  consentAt: z.iso.datetime({ offset: true }),
  /** The person who approved an offer above the bot's authority; null when the bot could make it. */
  approvedBy: z.object({ role: AuthorityLevel, id: z.string().min(1) }).nullable(),
  createdAt: z.iso.datetime({ offset: true }),
});
export type Arrangement = z.infer<typeof Arrangement>;

/** A fresh random reference for the given moment's (UTC) year. */
export function newReference(now: Date = new Date()): ArrangementReference {
  const symbol = () => CROCKFORD[randomInt(CROCKFORD.length)]!;
  const group = () => Array.from({ length: 4 }, symbol).join('');
  return `FB-${now.getUTCFullYear()}-${group()}-${group()}`;
}

/**
 * A reference as a person typed or said it ("fb 2026 7k3m 9qx2", "FB-2026-7K3M-9QXZ" with O for 0):
 * Crockford's decoding rules (case-insensitive, O→0, I/L→1), separators optional. Null if it is
 * not a reference at all.
 */
export function normalizeReference(input: string): ArrangementReference | null {
  const compact = input
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/^FB/, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  const match = /^(\d{4})(.{4})(.{4})$/.exec(compact);
  if (!match) return null;
  const parsed = ArrangementReference.safeParse(`FB-${match[1]}-${match[2]}-${match[3]}`);
  return parsed.success ? parsed.data : null;
}

export interface CreateOnceResult {
  arrangement: Arrangement;
  /** False when the key had already produced an arrangement: say the reference, do not act twice. */
  created: boolean;
}

export interface ArrangementRepository {
  /**
   * Returns the arrangement made under `idempotencyKey`, creating it with `build(reference)` (which
   * must put that reference in it) if there is none yet. The key names the consent being recorded,
   * e.g. the conversation id when a conversation ends in at most one arrangement.
   */
  createOnce(idempotencyKey: string, build: (reference: ArrangementReference) => Arrangement): Promise<CreateOnceResult>;
  /** By reference as a person typed it (case, separators and O/0, I/L/1 are forgiven). */
  get(reference: string): Promise<Arrangement | undefined>;
  /** Oldest first. */
  listByConversation(conversationId: string): Promise<Arrangement[]>;
  /** Oldest first. */
  listByAccount(accountId: string): Promise<Arrangement[]>;
  /**
   * The references the account's index holds, in no order, without reading the arrangements (one
   * round trip); may include a reference a crash or a lost race left naming no arrangement.
   */
  referencesByAccount(accountId: string): Promise<string[]>;
}
