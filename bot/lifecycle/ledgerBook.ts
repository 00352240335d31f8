/**
 * The shell around the pure ledger: where ledgers are kept (the shared stores, so memory or Redis),
 * payments matched and recorded exactly once, and every ledger change published — written to the
 * transcript chain of the conversation that made the arrangement, and put in the outbox.
 *
 * Publishing uses a cursor kept in the ledger record (`published`): a change is first saved, then
 * its events are written out and the cursor moved. A crash in between is repaired by the next
 * publish, and one ledger is published by one caller at a time (a lock per arrangement), so
 * nothing is lost and nothing is written twice.
 */
import { z } from 'zod';
import {
  applyPayment,
  assess,
  Ledger,
  LedgerEvent,
  nextDue,
  openLedger,
  owedOf,
  paidOf,
  PaymentId,
  supersede,
  type LedgerChange,
} from '../../policy/index.js';
import type { Policy } from '../../policy/index.js';
import type { Arrangement, ArrangementRepository, CreateOnceResult } from '../../conversation/arrangement.js';
import { moveLegacyList, type Stores } from '../storage/index.js';
import { afterTurn, type LockOptions } from '../storage/lock.js';
import type { TranscriptStore } from '../transcripts/store.js';
import type { Clock } from '../../conversation/clock.js';
import { todayIn } from '../../conversation/clock.js';
import { Language } from '../../conversation/language.js';
import { DateStyle } from '../../conversation/messages/index.js';
import type { Outbox, OutboxEvent } from './outbox.js';

export const LedgerRecord = z.object({
  ledger: Ledger,
  conversationId: z.string().min(1),
  accountId: z.string().min(1),
  currency: z.string().length(3),
  policyId: z.string().min(1),
  language: Language,
  /** The arrangement's date order, for what the scheduler sends. */
  dateStyle: DateStyle.default('iso'),
  channel: z.string().min(1),
  /** How many of `ledger.events` are in the transcript and the outbox; -1 = not even `created` yet. */
  published: z.number().int().min(-1),
});
export type LedgerRecord = z.infer<typeof LedgerRecord>;

/** What the issuer's payment system tells us. Strict: an unknown field is an error, not ignored. */
export const PaymentNotice = z.strictObject({
  paymentId: PaymentId,
  /** The arrangement the payment is for, when the payer quoted it; else the account's active arrangement. */
  reference: z.string().min(1).max(64).optional(),
  accountId: z.string().min(1).max(128),
  amountMinor: z.number().int().positive().refine(Number.isSafeInteger, 'must be a safe integer'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as CNY'),
  paidAt: z.iso.datetime({ offset: true }),
});
export type PaymentNotice = z.infer<typeof PaymentNotice>;

export const UnmatchedReason = z.enum(['no_arrangement', 'unknown_reference', 'account_mismatch', 'currency_mismatch']);

export const PaymentRecord = z.object({
  notice: PaymentNotice,
  outcome: z.enum(['applied', 'unmatched']),
  reference: z.string().nullable(),
  reason: UnmatchedReason.nullable(),
  receivedAt: z.iso.datetime({ offset: true }),
});
export type PaymentRecord = z.infer<typeof PaymentRecord>;

export type PaymentResult =
  | { status: 'applied'; reference: string; ledger: Ledger }
  | { status: 'unmatched'; reason: z.infer<typeof UnmatchedReason> }
  | { status: 'duplicate'; record: PaymentRecord }
  | { status: 'conflict' };

/** Before 2026-12-01 the active references were one list in one record (`ledger-index`/`active`). */
const LegacyIndex = z.array(z.string());
/** A cardholder's payments, newest last, for promise checks ("我已经还了"); bounded. */
const AccountPayments = z.array(PaymentRecord);
const ACCOUNT_PAYMENTS_KEEP = 200;
const Unmatched = z.array(PaymentRecord);

export interface LedgerListener {
  /** After a ledger change was published: plan reminders, tell the cardholder. */
  changed(record: LedgerRecord, events: LedgerEvent[]): Promise<void>;
}

export interface LedgerBookDeps {
  stores: Stores;
  arrangements: ArrangementRepository;
  transcripts: TranscriptStore;
  outbox: Outbox;
  policy(id: string): Policy;
  clock: Clock;
  /** Counts instalment statuses (forbear_instalments_total). */
  onInstalmentStatus?(status: string): void;
  /** A new ledger's publishing, left running after the consent turn, failed (`publishPending` repairs it). */
  onPublishFailed?(reference: string, error: unknown): void;
}

/** The book's locks (`account:…`, `ledger:…`) are no conversation's: their leases read no conversation state. */
const NOT_A_CONVERSATION: LockOptions = { conversation: false };
const ACTIVE = 'active';
const UNMATCHED = 'all';

/** The figures a reminder or the returning cardholder's summary may quote, for the compliance flags. */
export function ledgerAmounts(ledger: Ledger): Record<string, number> {
  const amounts: Record<string, number> = { paidMinor: paidOf(ledger), remainingMinor: owedOf(ledger) - paidOf(ledger), creditMinor: ledger.creditMinor };
  for (const i of ledger.instalments) {
    amounts[`instalment.${i.n}.amountMinor`] = i.amountMinor;
    if (i.paidMinor > 0 && i.paidMinor < i.amountMinor) amounts[`instalment.${i.n}.shortMinor`] = i.amountMinor - i.paidMinor;
  }
  const next = nextDue(ledger);
  if (next) amounts['nextDueMinor'] = next.amountMinor - next.paidMinor;
  return amounts;
}

function eventAmounts(event: LedgerEvent): Record<string, number> {
  switch (event.type) {
    case 'payment_applied':
      return { amountMinor: event.amountMinor, excessMinor: event.excessMinor };
    case 'catch_up_granted':
      return { arrearsMinor: event.arrearsMinor };
    case 'cancelled':
      return { owedUnderOriginalTermsMinor: event.owedUnderOriginalTermsMinor };
    default:
      return {};
  }
}

function outboxTypeOf(event: LedgerEvent): OutboxEvent['type'] {
  if (event.type === 'cancelled') return 'arrangement.cancelled';
  if (event.type === 'completed') return 'arrangement.completed';
  return 'arrangement.changed';
}

/** Where the book keeps its ledgers, by arrangement reference; also read by the outcome report's CLI. */
export function ledgerRecords(stores: Stores) {
  return stores.keyValue({ namespace: 'ledger', schema: LedgerRecord, scope: 'global' });
}

export class LedgerBook {
  private readonly ledgers;
  private readonly payments;
  /** The references of every active ledger, for the scheduler's assessments. */
  private readonly active;
  /** Ledgers opened whose opening is not yet published (outbox, first contact): see `publishPending`. */
  private readonly unpublished;
  private readonly legacyIndex;
  private readonly unmatched;
  private readonly accountPayments;
  private listener: LedgerListener | undefined;

  constructor(private readonly deps: LedgerBookDeps) {
    const { stores } = deps;
    this.ledgers = ledgerRecords(stores);
    this.payments = stores.keyValue({ namespace: 'payment', schema: PaymentRecord, scope: 'global' });
    this.active = stores.memberSet('ledger-active');
    this.unpublished = stores.memberSet('ledger-unpublished');
    this.legacyIndex = stores.keyValue({ namespace: 'ledger-index', schema: LegacyIndex, scope: 'global' });
    this.unmatched = stores.keyValue({ namespace: 'payment-unmatched', schema: Unmatched, scope: 'global' });
    this.accountPayments = stores.keyValue({ namespace: 'account-payments', schema: AccountPayments, scope: 'global' });
  }

  async paymentsFor(accountId: string): Promise<PaymentRecord[]> {
    return (await this.accountPayments.get(accountId)) ?? [];
  }

  private async remember(record: PaymentRecord): Promise<void> {
    await this.accountPayments.update(record.notice.accountId, (list) =>
      list?.some((p) => p.notice.paymentId === record.notice.paymentId) ? list : [...(list ?? []), record].slice(-ACCOUNT_PAYMENTS_KEEP),
    );
    await this.payments.set(record.notice.paymentId, record);
  }

  listen(listener: LedgerListener): void {
    this.listener = listener;
  }

  /**
   * Wraps the arrangement repository so every concluded arrangement — by the bot or a person —
   * gets its ledger and its `arrangement.created` event, whichever code path concluded it.
   */
  watch(inner: ArrangementRepository): ArrangementRepository {
    return {
      createOnce: async (key, build): Promise<CreateOnceResult> => {
        const result = await inner.createOnce(key, build);
        const { arrangement } = result;
        // Also for created=false: a retried consent repairs a ledger a crash left unopened.
        await this.record(arrangement);
        // The arrangement and its ledger are stored now; publishing the opening (the outbox's
        // `arrangement.created`, the first reminder's job) is not the cardholder's to wait for: on
        // Redis it runs once the consent turn has replied (a third of that turn's time). If this
        // process dies first, the ledger is still listed as unpublished and `publishPending`
        // publishes it (at start and before every assessment), as does a retried consent.
        await afterTurn(key, () => this.publish(arrangement.reference, arrangement, true), (error) => this.deps.onPublishFailed?.(arrangement.reference, error));
        return result;
      },
      get: (reference) => inner.get(reference),
      listByConversation: (id) => inner.listByConversation(id),
      listByAccount: (id) => inner.listByAccount(id),
      referencesByAccount: (id) => inner.referencesByAccount(id),
    };
  }

  /** Idempotent: opens the arrangement's ledger if it has none, then publishes what is pending. */
  async open(arrangement: Arrangement): Promise<LedgerRecord> {
    await this.record(arrangement);
    return this.publish(arrangement.reference, arrangement, true);
  }

  /** Stores the arrangement's ledger if it has none, listed as unpublished, superseding the account's active one. */
  private async record(arrangement: Arrangement): Promise<void> {
    const policy = this.deps.policy(arrangement.policyId);
    const today = todayIn({ now: () => new Date(arrangement.createdAt) }, policy.timezone);
    // Under the account's lock: two consents at the same moment (two conversations of one cardholder)
    // must not each see the other's new ledger and supersede it, leaving none active. Serialised, the
    // later one supersedes the earlier, as a change of terms does.
    await this.deps.stores.lock.withLock(`account:${arrangement.accountId}`, async () => {
      let opened = false;
      // The ledger, the indexes and the account's ledgers are independent: read and written
      // together, each step of them one round trip (bot/storage/redis.ts).
      const [, , , accountLedgers] = await Promise.all([
        this.ledgers.update(arrangement.reference, (current) => {
          opened = current === undefined;
          return current ?? {
            ledger: openLedger(arrangement.reference, arrangement.offer, today),
            conversationId: arrangement.conversationId,
            accountId: arrangement.accountId,
            currency: policy.currency,
            policyId: arrangement.policyId,
            language: arrangement.language,
            dateStyle: arrangement.dateStyle,
            channel: arrangement.channel,
            published: -1,
          };
        }),
        this.active.add(arrangement.reference),
        this.unpublished.add(arrangement.reference),
        // By reference alone, not the arrangements: a ledger exists only for a recorded arrangement.
        // Not this one's own (the update above reads it): a read and a decode less on the consent turn.
        this.deps.arrangements
          .referencesByAccount(arrangement.accountId)
          .then((references) => Promise.all(references.filter((r) => r !== arrangement.reference).map((r) => this.ledgers.get(r)))),
      ]);
      if (!opened) return;
      // A change of terms: the cardholder never has two arrangements at once; the new one replaces the old.
      const others = accountLedgers.filter((other): other is LedgerRecord => other !== undefined && other.ledger.status === 'active');
      // Each under its own ledger's lock, all at once: the consent turn (which holds its conversation's
      // lock) waits for the slowest, not for the sum.
      await Promise.all(others.map((other) => this.supersede(other.ledger.reference, arrangement.reference)));
    }, NOT_A_CONVERSATION);
  }

  /**
   * Publishes every ledger whose opening a crash (or a failed write) left unpublished after its
   * consent turn had replied: its outbox events, then its first contact planned, then the cursor.
   * Harmless for one being published meanwhile (under its lock, the second finds nothing to do).
   */
  async publishPending(): Promise<void> {
    for (const reference of await this.unpublished.members()) {
      // Listed in the round trip that stored its ledger: listed without one, that write failed (the consent failed with it).
      if (await this.ledgers.get(reference)) await this.publish(reference, undefined, true);
      else await this.unpublished.remove(reference);
    }
  }

  get(reference: string): Promise<LedgerRecord | undefined> {
    return this.ledgers.get(reference);
  }

  /** The account's arrangements with ledgers, newest first. */
  async byAccount(accountId: string): Promise<LedgerRecord[]> {
    const arrangements = await this.deps.arrangements.listByAccount(accountId);
    const records = await Promise.all(arrangements.map((a) => this.ledgers.get(a.reference)));
    return records.filter((r): r is LedgerRecord => r !== undefined).reverse();
  }

  async activeFor(accountId: string): Promise<LedgerRecord | undefined> {
    return (await this.byAccount(accountId)).find((r) => r.ledger.status === 'active');
  }

  /** Ledgers opened and not yet seen ended by `assessAll` (a superseded one stays until the next run). */
  async activeReferences(): Promise<string[]> {
    await this.moveLegacyIndex();
    return this.active.members();
  }

  /** A store written by an earlier version keeps its active references in one list, which every consent rewrote whole. */
  private moveLegacyIndex(): Promise<void> {
    return moveLegacyList(this.legacyIndex, ACTIVE, (reference) => this.active.add(reference));
  }

  unmatchedPayments(): Promise<PaymentRecord[]> {
    return this.unmatched.get(UNMATCHED).then((l) => l ?? []);
  }

  /** Matches a payment to its arrangement exactly once per payment id. */
  async pay(notice: PaymentNotice): Promise<PaymentResult> {
    const seen = await this.payments.get(notice.paymentId);
    if (seen) return JSON.stringify(seen.notice) === JSON.stringify(notice) ? { status: 'duplicate', record: seen } : { status: 'conflict' };
    const receivedAt = this.deps.clock.now().toISOString();
    const match = await this.match(notice);
    if ('reason' in match) {
      const record: PaymentRecord = { notice, outcome: 'unmatched', reference: notice.reference ?? null, reason: match.reason, receivedAt };
      await this.unmatched.update(UNMATCHED, (list) => (list?.some((p) => p.notice.paymentId === notice.paymentId) ? list : [...(list ?? []), record]));
      await this.remember(record);
      return { status: 'unmatched', reason: match.reason };
    }
    const policy = this.deps.policy(match.record.policyId);
    const paidOn = todayIn({ now: () => new Date(notice.paidAt) }, policy.timezone);
    const record = await this.change(match.record.ledger.reference, (ledger) =>
      applyPayment(ledger, { paymentId: notice.paymentId, amountMinor: notice.amountMinor, paidOn }, policy.breach),
    );
    await this.remember({ notice, outcome: 'applied', reference: record.ledger.reference, reason: null, receivedAt });
    return { status: 'applied', reference: record.ledger.reference, ledger: record.ledger };
  }

  private async match(notice: PaymentNotice): Promise<{ record: LedgerRecord } | { reason: z.infer<typeof UnmatchedReason> }> {
    let record: LedgerRecord | undefined;
    if (notice.reference !== undefined) {
      const arrangement = await this.deps.arrangements.get(notice.reference);
      record = arrangement ? await this.ledgers.get(arrangement.reference) ?? (await this.open(arrangement)) : undefined;
      if (!record) return { reason: 'unknown_reference' };
      if (record.accountId !== notice.accountId) return { reason: 'account_mismatch' };
    } else {
      record = await this.activeFor(notice.accountId);
      if (!record) return { reason: 'no_arrangement' };
    }
    if (record.currency !== notice.currency) return { reason: 'currency_mismatch' };
    return { record };
  }

  /** Re-reads the ledger as of today in its policy's timezone: late, missed, catch-up, cancellation. */
  async assess(reference: string): Promise<LedgerRecord | undefined> {
    const current = await this.ledgers.get(reference);
    if (!current) return undefined;
    const policy = this.deps.policy(current.policyId);
    return this.change(reference, (ledger) => assess(ledger, todayIn(this.deps.clock, policy.timezone), policy.breach));
  }

  /** Every active ledger; the scheduler runs this periodically (and tests after moving the clock). */
  async assessAll(): Promise<void> {
    for (const reference of await this.activeReferences()) {
      const record = await this.assess(reference);
      if (record && record.ledger.status !== 'active') {
        await this.active.remove(reference);
      }
    }
  }

  /** A change of terms: the old arrangement stops, superseded by the new one. */
  async supersede(reference: string, by: string): Promise<LedgerRecord | undefined> {
    const current = await this.ledgers.get(reference);
    if (!current) return undefined;
    const today = todayIn(this.deps.clock, this.deps.policy(current.policyId).timezone);
    // Left in the active index: the next assessAll drops it (it drops every ledger no longer active).
    // Removing it here made every consent of an account with several arrangements write the one
    // global index again, inside the consent turn; concurrent consents exhausted its compare-and-set.
    return this.change(reference, (ledger) => supersede(ledger, by, today));
  }

  private async change(reference: string, apply: (ledger: Ledger) => LedgerChange): Promise<LedgerRecord> {
    await this.deps.stores.lock.withLock(`ledger:${reference}`, async () => {
      await this.ledgers.update(reference, (current) => {
        if (!current) throw new Error(`no ledger for ${reference}`);
        return { ...current, ledger: apply(current.ledger).ledger };
      });
    }, NOT_A_CONVERSATION);
    return this.publish(reference);
  }

  /**
   * Writes the events not yet published to the transcript and the outbox, then moves the cursor.
   * `listed`: the ledger is (or may be) among the unpublished, and leaves them with the cursor.
   */
  private async publish(reference: string, arrangement?: Arrangement, listed = false): Promise<LedgerRecord> {
    let fresh: LedgerEvent[] = [];
    let planAfter = false;
    const record = await this.deps.stores.lock.withLock(`ledger:${reference}`, async () => {
      // Read with its version: the cursor's write below starts from this read (no second read).
      const read = (await this.ledgers.getVersioned(reference))!;
      const current = read.value;
      const { ledger } = current;
      const at = this.deps.clock.now().toISOString();
      const opening = current.published < 0;
      if (opening) {
        const a = arrangement ?? (await this.deps.arrangements.get(reference))!;
        await this.deps.outbox.enqueue({
          id: `${reference}:created`,
          type: 'arrangement.created',
          occurredAt: a.createdAt,
          reference,
          accountId: current.accountId,
          data: { arrangement: a, instalments: ledger.instalments },
        });
      }
      fresh = ledger.events.slice(Math.max(0, current.published));
      for (const [i, event] of fresh.entries()) {
        const seq = Math.max(0, current.published) + i;
        await this.deps.transcripts.append(current.conversationId, {
          kind: 'decision',
          actor: 'system',
          at,
          payload: { type: 'ledger', reference, event, amounts: { ...eventAmounts(event), ...ledgerAmounts(ledger) } },
        });
        await this.deps.outbox.enqueue({
          id: `${reference}:${seq}`,
          type: outboxTypeOf(event),
          occurredAt: at,
          reference,
          accountId: current.accountId,
          data: { event, status: ledger.status, paidMinor: paidOf(ledger), remainingMinor: owedOf(ledger) - paidOf(ledger) },
        });
        if (event.type === 'instalment_status') this.deps.onInstalmentStatus?.(event.to);
      }
      if (fresh.length === 0 && !opening) {
        if (listed) await this.unpublished.remove(reference);
        return current;
      }
      // An opening is planned before its cursor moves (and the ledger leaves the unpublished): a
      // crash in between plans it again (job ids make that harmless), never not at all.
      if (opening) await this.listener?.changed(current, fresh);
      else planAfter = true;
      const [moved] = await Promise.all([
        this.ledgers.update(reference, (latest) => ({ ...latest!, published: Math.max(latest!.published, ledger.events.length) }), undefined, read),
        listed ? this.unpublished.remove(reference) : undefined,
      ]);
      return moved;
    }, NOT_A_CONVERSATION);
    if (planAfter) await this.listener?.changed(record, fresh);
    return record;
  }
}
