/**
 * Concluding an arrangement: the one place where a cardholder's consent becomes an Arrangement,
 * whoever put the terms forward — the bot from its ladder, or an agent or supervisor whose approval
 * the policy checked. A person's approval never binds the cardholder by itself: the terms are shown
 * in the channel, the cardholder consents there, and only then does this run, on that turn.
 *
 * Exactly once per conversation (`createOnce(conversationId)`): a repeated "同意" or a redelivered
 * message returns the same reference and records nothing twice.
 */
import type { TurnContext } from 'botbuilder';
import type { AuthorityLevel, Offer } from '../policy/index.js';
import { concluded, type CaseFile } from './case.js';
import type { Clock } from './clock.js';
import type { Auditor } from './audit.js';
import { formatDate, formatMoney, t } from './messages/index.js';
import type { Arrangement, ArrangementRepository } from './arrangement.js';
import type { LifecyclePort } from './lifecycle.js';

export interface ConclusionPorts {
  arrangements: ArrangementRepository;
  audit: Auditor;
  clock: Clock;
  /** Where the printable agreement is; absent in tests of other parts. */
  lifecycle?: Pick<LifecyclePort, 'documentLink'>;
}

/** Who proposed terms above the bot's authority, as recorded on the arrangement; null for the bot's own offers. */
export type Approver = { role: AuthorityLevel; id: string } | null;

export interface Conclusion {
  file: CaseFile;
  offer: Offer;
  accountId: string;
  currency: string;
  policy: { id: string; version: string };
  /** The cardholder's own words (or button label) of consent, verbatim. */
  consentText: string;
  approvedBy: Approver;
  /** The champion/challenger variant the terms were decided under, as recorded with the arrangement. */
  variant: string | null;
}

/** The first payment the cardholder must make under an offer, if it names one. */
export function firstPayment(offer: Offer): { amountMinor: number; dueDate: string } | null {
  const line = offer.installment?.schedule[0];
  if (line) return { amountMinor: line.amountMinor, dueDate: line.dueDate };
  return offer.settlement ? { amountMinor: offer.settlement.amountMinor, dueDate: offer.settlement.payByDate } : null;
}

export async function concludeArrangement(context: TurnContext, ports: ConclusionPorts, c: Conclusion): Promise<Arrangement> {
  const conversationId = context.activity.conversation.id;
  const now = ports.clock.now().toISOString();
  const { arrangement } = await ports.arrangements.createOnce(conversationId, (reference) => ({
    reference,
    conversationId,
    accountId: c.accountId,
    channel: context.activity.channelId,
    language: c.file.language,
    dateStyle: c.file.dateStyle,
    offer: c.offer,
    policyId: c.policy.id,
    policyVersion: c.policy.version,
    variant: c.variant,
    consentText: c.consentText,
    consentAt: now,
    approvedBy: c.approvedBy,
    createdAt: now,
  }));
  // Consent is recorded unless this conversation's state already holds the conclusion (state is saved
  // with the turn that recorded it). Not "unless the arrangement already existed": a turn that stored
  // the arrangement and then failed (Redis gone while its records were stored, say) leaves neither
  // records nor state, and its retry finds the arrangement made — the consent must still reach the
  // transcript, once. A newly created arrangement has a reference never drawn before, so no state holds it.
  const alreadyRecorded = c.file.arrangementReference === arrangement.reference;
  concluded(c.file, arrangement.reference);
  if (!alreadyRecorded) await ports.audit.agreement(context, arrangement.offer, c.consentText, arrangement.reference, arrangement.variant);

  const lang = c.file.language;
  const send = (text: string) => context.sendActivity({ type: 'message', textFormat: 'plain', text });
  await send(t(lang, 'agreement.done', { reference: arrangement.reference }));
  const first = firstPayment(arrangement.offer);
  if (first) {
    await send(t(lang, 'agreement.first_payment', { amount: formatMoney(first.amountMinor, c.currency, lang), date: formatDate(first.dueDate, lang, c.file.dateStyle) }));
  }
  // A token payment or breathing space ends in a review by a person: the date is part of what was agreed.
  const holding = arrangement.offer.holding;
  if (holding) await send(t(lang, 'agreement.review', { date: formatDate(holding.reviewDate, lang, c.file.dateStyle) }));
  if (ports.lifecycle) await send(t(lang, 'agreement.document', { url: ports.lifecycle.documentLink(arrangement.reference) }));
  await context.sendActivity({ type: 'event', name: 'agreement', value: arrangement });
  return arrangement;
}
