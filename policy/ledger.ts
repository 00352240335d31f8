/**
 * The arrangement ledger: what a concluded offer asks the cardholder to pay, what has been paid, and
 * what the policy's breach rules make of the difference. Pure like the rest of `policy/`: "today" is
 * an input, payments are integers in minor units, and every change is returned as an event so the
 * shell can record it in the conversation's transcript chain.
 *
 * Payments are matched oldest instalment first (the usual waterfall): an amount short of the
 * instalment leaves it partly paid, an amount over it pays the next one early, and what is left
 * after the last instalment is a credit for a person to refund. Because the waterfall depends only
 * on the running total, the per-instalment result does not depend on the order payments arrive in.
 */
import { z } from 'zod';
import { addDays } from './dates.js';
import { IsoDate, NonNegativeMinor, type Offer } from './model.js';

export const InstalmentStatus = z.enum(['due', 'partly_paid', 'paid', 'late', 'missed']);
export type InstalmentStatus = z.infer<typeof InstalmentStatus>;

export const Instalment = z.object({
  n: z.number().int().min(1),
  dueDate: IsoDate,
  amountMinor: NonNegativeMinor,
  paidMinor: NonNegativeMinor,
  /** The day the instalment became fully paid (after dueDate = paid late). */
  paidOn: IsoDate.nullable(),
  status: InstalmentStatus,
});
export type Instalment = z.infer<typeof Instalment>;

export const LedgerStatus = z.enum(['active', 'completed', 'cancelled', 'superseded']);
export type LedgerStatus = z.infer<typeof LedgerStatus>;

export const PaymentId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'must be 1–128 letters, digits, ".", "_", ":" or "-"');

export const Allocation = z.object({ n: z.number().int().min(1), amountMinor: NonNegativeMinor });

export const LedgerEvent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('payment_applied'),
    on: IsoDate,
    paymentId: PaymentId,
    amountMinor: NonNegativeMinor,
    allocations: z.array(Allocation),
    /** Paid beyond everything owed under the arrangement: a credit for a person to refund. */
    excessMinor: NonNegativeMinor,
  }),
  z.object({ type: z.literal('instalment_status'), on: IsoDate, n: z.number().int().min(1), from: InstalmentStatus, to: InstalmentStatus }),
  z.object({ type: z.literal('catch_up_granted'), on: IsoDate, until: IsoDate, arrearsMinor: NonNegativeMinor }),
  z.object({
    type: z.literal('cancelled'),
    on: IsoDate,
    reason: z.enum(['missed_instalments']),
    missed: z.number().int().min(0),
    /** The card's original terms are restored: the balance the offer started from, less what was paid. */
    owedUnderOriginalTermsMinor: NonNegativeMinor,
  }),
  z.object({ type: z.literal('completed'), on: IsoDate }),
  z.object({ type: z.literal('superseded'), on: IsoDate, by: z.string().min(1) }),
]);
export type LedgerEvent = z.infer<typeof LedgerEvent>;

export const Ledger = z.object({
  reference: z.string().min(1),
  /** The balance the offer started from; restored (less payments) if the arrangement is cancelled. */
  balanceMinor: NonNegativeMinor,
  instalments: z.array(Instalment),
  status: LedgerStatus,
  /** The last day the ledger was assessed on; statuses are as of this day. */
  asOf: IsoDate,
  catchUp: z.object({ used: z.boolean(), until: IsoDate.nullable() }),
  creditMinor: NonNegativeMinor,
  events: z.array(LedgerEvent),
});
export type Ledger = z.infer<typeof Ledger>;

/** The `breach` section of a policy: what missing an instalment leads to. */
export const BreachRules = z
  .object({
    /** Days after a due date an unpaid instalment is late but not yet missed. */
    graceDays: z.number().int().min(0).max(60),
    /** This many missed instalments at once cancel the arrangement (after any catch-up). */
    missesToCancel: z.number().int().min(1).max(12),
    /** One catch-up window: before cancelling, the cardholder may pay the arrears within `days`. */
    catchUp: z.object({ allowed: z.boolean(), days: z.number().int().min(1).max(90) }).strict(),
    /** Tell the cardholder how many more misses would cancel the plan when one is missed. */
    tellMissesLeft: z.boolean(),
  })
  .strict();
export type BreachRules = z.infer<typeof BreachRules>;

export const DEFAULT_BREACH: BreachRules = { graceDays: 5, missesToCancel: 2, catchUp: { allowed: true, days: 14 }, tellMissesLeft: true };

/** What is owed and when: a plan's schedule, or a settlement's single lump sum. A deferral alone owes nothing new. */
function linesOf(offer: Offer): { n: number; dueDate: string; amountMinor: number }[] {
  if (offer.installment) return offer.installment.schedule.map((l) => ({ n: l.n, dueDate: l.dueDate, amountMinor: l.amountMinor }));
  if (offer.settlement) return [{ n: 1, dueDate: offer.settlement.payByDate, amountMinor: offer.settlement.amountMinor }];
  return [];
}

export function openLedger(reference: string, offer: Offer, asOf: string): Ledger {
  const instalments = linesOf(offer).map((l) => ({ ...l, paidMinor: 0, paidOn: null, status: 'due' as const }));
  return {
    reference,
    balanceMinor: offer.balanceMinor,
    instalments,
    status: instalments.length === 0 ? 'completed' : 'active',
    asOf,
    catchUp: { used: false, until: null },
    creditMinor: 0,
    events: instalments.length === 0 ? [{ type: 'completed', on: asOf }] : [],
  };
}

function statusOn(i: Pick<Instalment, 'amountMinor' | 'paidMinor' | 'dueDate'>, today: string, graceDays: number): InstalmentStatus {
  if (i.paidMinor >= i.amountMinor) return 'paid';
  if (today <= i.dueDate) return i.paidMinor > 0 ? 'partly_paid' : 'due';
  return today <= addDays(i.dueDate, graceDays) ? 'late' : 'missed';
}

export const paidOf = (ledger: Ledger): number => ledger.instalments.reduce((s, i) => s + i.paidMinor, 0);
export const owedOf = (ledger: Ledger): number => ledger.instalments.reduce((s, i) => s + i.amountMinor, 0);
export const arrearsOf = (ledger: Ledger): number =>
  ledger.instalments.filter((i) => i.status === 'late' || i.status === 'missed').reduce((s, i) => s + i.amountMinor - i.paidMinor, 0);

/** The next instalment not yet fully paid, if any. */
export function nextDue(ledger: Ledger): Instalment | undefined {
  return ledger.instalments.find((i) => i.paidMinor < i.amountMinor);
}

export function hasPayment(ledger: Ledger, paymentId: string): boolean {
  return ledger.events.some((e) => e.type === 'payment_applied' && e.paymentId === paymentId);
}

export interface Payment {
  paymentId: string;
  amountMinor: number;
  /** The day the money arrived, in the policy's timezone. */
  paidOn: string;
}

export interface LedgerChange {
  ledger: Ledger;
  /** The events this change added (also appended to `ledger.events`). */
  events: LedgerEvent[];
}

/** Oldest unpaid instalment first; exact in minor units. A payment seen before changes nothing. */
export function applyPayment(ledger: Ledger, payment: Payment, rules: BreachRules): LedgerChange {
  if (hasPayment(ledger, payment.paymentId)) return { ledger, events: [] };
  let left = payment.amountMinor;
  const allocations: z.infer<typeof Allocation>[] = [];
  // Money received after a cancellation still counts against the restored balance, not the plan.
  const open = ledger.status === 'active';
  const instalments = ledger.instalments.map((i) => {
    const short = i.amountMinor - i.paidMinor;
    if (!open || left === 0 || short === 0) return i;
    const take = Math.min(short, left);
    left -= take;
    allocations.push({ n: i.n, amountMinor: take });
    const paidMinor = i.paidMinor + take;
    return { ...i, paidMinor, paidOn: paidMinor === i.amountMinor ? payment.paidOn : null };
  });
  const applied: LedgerEvent = {
    type: 'payment_applied',
    on: payment.paidOn,
    paymentId: payment.paymentId,
    amountMinor: payment.amountMinor,
    allocations,
    excessMinor: left,
  };
  const paid: Ledger = { ...ledger, instalments, creditMinor: ledger.creditMinor + left, events: [...ledger.events, applied] };
  const assessed = assess(paid, later(ledger.asOf, payment.paidOn), rules);
  return { ledger: assessed.ledger, events: [applied, ...assessed.events] };
}

const later = (a: string, b: string) => (a > b ? a : b);

/**
 * Re-reads every instalment as of `today` and applies the breach rules: late within the grace
 * days, missed after; when `missesToCancel` are missed at once, one catch-up window (if the policy
 * allows it) and then cancellation with the original terms restored. All paid → completed.
 * Assessing a day already assessed changes nothing, so the scheduler may run it as often as it likes.
 */
export function assess(ledger: Ledger, today: string, rules: BreachRules): LedgerChange {
  if (ledger.status !== 'active') return { ledger: { ...ledger, asOf: later(ledger.asOf, today) }, events: [] };
  const events: LedgerEvent[] = [];
  const instalments = ledger.instalments.map((i) => {
    const status = statusOn(i, today, rules.graceDays);
    if (status !== i.status) events.push({ type: 'instalment_status', on: today, n: i.n, from: i.status, to: status });
    return { ...i, status };
  });
  let next: Ledger = { ...ledger, instalments, asOf: later(ledger.asOf, today) };
  const missed = instalments.filter((i) => i.status === 'missed').length;
  if (instalments.every((i) => i.status === 'paid')) {
    events.push({ type: 'completed', on: today });
    next = { ...next, status: 'completed' };
  } else if (missed >= rules.missesToCancel) {
    const inWindow = next.catchUp.until !== null && today <= next.catchUp.until;
    if (rules.catchUp.allowed && !next.catchUp.used) {
      const until = addDays(today, rules.catchUp.days);
      events.push({ type: 'catch_up_granted', on: today, until, arrearsMinor: arrearsOf(next) });
      next = { ...next, catchUp: { used: true, until } };
    } else if (!inWindow) {
      events.push({
        type: 'cancelled',
        on: today,
        reason: 'missed_instalments',
        missed,
        owedUnderOriginalTermsMinor: Math.max(0, ledger.balanceMinor - paidOf(next)),
      });
      next = { ...next, status: 'cancelled' };
    }
  }
  return { ledger: { ...next, events: [...next.events, ...events] }, events };
}

/** A change of terms replaced this arrangement: it stops, and the new one carries on. */
export function supersede(ledger: Ledger, by: string, on: string): LedgerChange {
  if (ledger.status !== 'active') return { ledger, events: [] };
  const event: LedgerEvent = { type: 'superseded', on, by };
  return { ledger: { ...ledger, status: 'superseded', events: [...ledger.events, event] }, events: [event] };
}

/** What the cardholder should hear about the ledger after a change: the engine decides, the bot explains. */
export type BreachNotice =
  | { kind: 'late'; n: number; dueDate: string; shortMinor: number; missedBy: string }
  | { kind: 'missed'; n: number; shortMinor: number; missesLeft: number | null }
  | { kind: 'catch_up'; until: string; arrearsMinor: number }
  | { kind: 'cancelled'; owedMinor: number }
  | { kind: 'completed' };

export function noticesOf(ledger: Ledger, events: LedgerEvent[], rules: BreachRules): BreachNotice[] {
  const missedNow = ledger.instalments.filter((i) => i.status === 'missed').length;
  const notices: BreachNotice[] = [];
  for (const e of events) {
    if (e.type === 'instalment_status' && (e.to === 'late' || e.to === 'missed')) {
      const i = ledger.instalments.find((x) => x.n === e.n)!;
      const shortMinor = i.amountMinor - i.paidMinor;
      if (e.to === 'late') notices.push({ kind: 'late', n: i.n, dueDate: i.dueDate, shortMinor, missedBy: addDays(i.dueDate, rules.graceDays) });
      else notices.push({ kind: 'missed', n: i.n, shortMinor, missesLeft: rules.tellMissesLeft ? Math.max(0, rules.missesToCancel - missedNow) : null });
    }
    if (e.type === 'catch_up_granted') notices.push({ kind: 'catch_up', until: e.until, arrearsMinor: e.arrearsMinor });
    if (e.type === 'cancelled') notices.push({ kind: 'cancelled', owedMinor: e.owedUnderOriginalTermsMinor });
    if (e.type === 'completed') notices.push({ kind: 'completed' });
  }
  // Cancellation or catch-up says all there is to say about the instalments that caused it.
  return notices.some((n) => n.kind === 'cancelled' || n.kind === 'catch_up') ? notices.filter((n) => n.kind !== 'missed' && n.kind !== 'late') : notices;
}

/** The `reminders` section of a policy: when the bot contacts the cardholder about the plan. */
export const ReminderRules = z
  .object({
    /** Reminders this many days before each due date (e.g. [3, 1]). */
    daysBefore: z.array(z.number().int().min(0).max(30)).max(5),
    /** A nudge this many days after an instalment is missed (past the grace days); null = none. */
    nudgeDaysAfterMiss: z.number().int().min(0).max(30).nullable(),
    /** A promise to pay is checked this many days after its date. */
    promiseCheckDaysAfter: z.number().int().min(0).max(30),
    /** Local time of day the scheduled contact is attempted (the contact gate still decides). */
    sendAt: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24h)'),
    /** A contact the gate refuses (quiet hours, cap): try again when it allows, or drop it. */
    onRefused: z.enum(['reschedule', 'drop']),
  })
  .strict();
export type ReminderRules = z.infer<typeof ReminderRules>;

export const DEFAULT_REMINDERS: ReminderRules = { daysBefore: [3, 1], nudgeDaysAfterMiss: 1, promiseCheckDaysAfter: 1, sendAt: '10:00', onRefused: 'reschedule' };

export type ContactPurpose = 'reminder' | 'missed_nudge' | 'promise_check' | 'callback' | 'breach_notice';

export interface PlannedContact {
  /** Stable per contact, so planning again never schedules a second one. */
  key: string;
  purpose: ContactPurpose;
  n: number;
  on: string;
}

/** Every reminder and nudge the ledger calls for from `today` on; deterministic, so re-planning is idempotent. */
export function plannedContacts(ledger: Ledger, breach: BreachRules, reminders: ReminderRules, today: string): PlannedContact[] {
  if (ledger.status !== 'active') return [];
  const planned: PlannedContact[] = [];
  for (const i of ledger.instalments) {
    if (i.paidMinor >= i.amountMinor) continue;
    for (const d of [...new Set(reminders.daysBefore)].sort((a, b) => b - a)) {
      const on = addDays(i.dueDate, -d);
      if (on >= today) planned.push({ key: `${ledger.reference}:reminder:${i.n}:${d}`, purpose: 'reminder', n: i.n, on });
    }
    if (reminders.nudgeDaysAfterMiss !== null) {
      const on = addDays(i.dueDate, breach.graceDays + 1 + reminders.nudgeDaysAfterMiss);
      if (on >= today) planned.push({ key: `${ledger.reference}:nudge:${i.n}`, purpose: 'missed_nudge', n: i.n, on });
    }
  }
  return planned.sort((a, b) => a.on.localeCompare(b.on) || a.key.localeCompare(b.key));
}

/** When a planned contact's moment comes: is there still something to say? (Paid since → nothing.) */
export function stillDue(ledger: Ledger, contact: Pick<PlannedContact, 'purpose' | 'n'>): boolean {
  if (ledger.status !== 'active') return false;
  const i = ledger.instalments.find((x) => x.n === contact.n);
  if (!i) return false;
  if (contact.purpose === 'reminder') return i.paidMinor < i.amountMinor;
  if (contact.purpose === 'missed_nudge') return i.status === 'missed';
  return true;
}
