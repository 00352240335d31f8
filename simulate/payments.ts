/**
 * After the agreement, simulated: each persona gets a payment behaviour — keeps, pays late, breaks
 * after n instalments, never pays — and the plan is played through the policy's own ledger and
 * breach rules (grace, one catch-up, cancellation). The behaviour depends on whether the plan's
 * largest payment fits what the persona can really pay: an unaffordable plan is more likely to
 * break. So recovery counts money actually paid, and a strategy that agrees to plans people cannot
 * keep is no longer flattered by the assumption that every plan is kept.
 *
 * Deterministic: the behaviour is drawn from a hash of (seed, persona index, strategy).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { addDays, applyPayment, assess, openLedger, paidOf, type BreachRules, type Ledger, type Offer } from '../policy/index.js';
import type { Persona } from './personas.js';

export const PaymentBehaviour = z.enum(['keeps', 'pays_late', 'breaks_after', 'never_pays']);
export type PaymentBehaviour = z.infer<typeof PaymentBehaviour>;

/** Chances (in %) of each behaviour for a plan the persona can afford, and for one they cannot. */
const AFFORDABLE: Record<PaymentBehaviour, number> = { keeps: 70, pays_late: 20, breaks_after: 8, never_pays: 2 };
const UNAFFORDABLE: Record<PaymentBehaviour, number> = { keeps: 10, pays_late: 20, breaks_after: 45, never_pays: 25 };

function unit(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('|')).digest().readUInt32BE(0) / 2 ** 32;
}

export function affordable(persona: Persona, offer: Offer): boolean {
  return offer.installment ? offer.largestPaymentMinor <= persona.maxMonthlyPaymentMinor : offer.largestPaymentMinor <= persona.maxLumpSumMinor;
}

export function behaviourOf(persona: Persona, offer: Offer, seed: number, strategy: string): { kind: PaymentBehaviour; breaksAfter: number } {
  const table = affordable(persona, offer) ? AFFORDABLE : UNAFFORDABLE;
  let roll = unit(seed, persona.index, strategy, 'kind') * 100;
  let kind: PaymentBehaviour = 'keeps';
  for (const k of PaymentBehaviour.options) {
    if (roll < table[k]) {
      kind = k;
      break;
    }
    roll -= table[k];
  }
  const lines = offer.installment?.months ?? 1;
  return { kind, breaksAfter: Math.floor(unit(seed, persona.index, strategy, 'n') * lines) };
}

export interface PlayedPlan {
  behaviour: PaymentBehaviour;
  ledger: Ledger;
  paidMinor: number;
  everMissed: boolean;
}

/** Plays the plan day by day at each moment that matters: due dates, grace ends, catch-up ends. */
export function playPlan(offer: Offer, asOf: string, rules: BreachRules, behaviour: { kind: PaymentBehaviour; breaksAfter: number }): PlayedPlan {
  let ledger = openLedger('SIM', offer, asOf);
  let everMissed = false;
  const lines = ledger.instalments;
  const payOn = (i: number, dueDate: string): string | null => {
    switch (behaviour.kind) {
      case 'keeps':
        return dueDate;
      case 'pays_late':
        // Usually a few days late (within the grace days); every third instalment after them: missed, then cured.
        return addDays(dueDate, i % 3 === 2 ? rules.graceDays + 3 : Math.min(3, rules.graceDays));
      case 'breaks_after':
        return i < behaviour.breaksAfter ? dueDate : null;
      case 'never_pays':
        return null;
    }
  };
  const moments = new Set<string>();
  lines.forEach((l, i) => {
    moments.add(l.dueDate);
    moments.add(addDays(l.dueDate, rules.graceDays + 1));
    const on = payOn(i, l.dueDate);
    if (on) moments.add(on);
  });
  const payments = new Map<string, number>();
  lines.forEach((l, i) => {
    const on = payOn(i, l.dueDate);
    if (on) payments.set(on, (payments.get(on) ?? 0) + l.amountMinor);
  });
  const last = lines.at(-1)?.dueDate ?? asOf;
  moments.add(addDays(last, rules.graceDays + rules.catchUp.days + 2));
  for (const day of [...moments].sort()) {
    const amount = payments.get(day);
    if (amount !== undefined && ledger.status === 'active') ledger = applyPayment(ledger, { paymentId: `p-${day}`, amountMinor: amount, paidOn: day }, rules).ledger;
    ledger = assess(ledger, day, rules).ledger;
    everMissed ||= ledger.instalments.some((x) => x.status === 'missed');
    if (ledger.status !== 'active') break;
  }
  // A catch-up window ends on a date the schedule did not know in advance.
  if (ledger.status === 'active' && ledger.catchUp.until) ledger = assess(ledger, addDays(ledger.catchUp.until, 1), rules).ledger;
  return { behaviour: behaviour.kind, ledger, paidMinor: paidOf(ledger), everMissed };
}

export const LifecycleResult = z.object({
  plans: z.number().int().min(0),
  /** Completed without a missed instalment, % of plans. */
  keptRate: z.number(),
  /** Of plans with a missed instalment, % that were brought back and completed. */
  cureRate: z.number(),
  /** Cancelled for missed instalments, % of plans. */
  brokenRate: z.number(),
  /** Money actually paid under the plans ÷ balance, mean over all personas (0 without a plan), %. */
  netRecoveryRate: z.number(),
});
export type LifecycleResult = z.infer<typeof LifecycleResult>;

const pct = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 1000) / 10);

export function lifecycleOf(deals: { persona: Persona; offer: Offer; asOf: string; rules: BreachRules }[], personas: number, seed: number, strategy: string): LifecycleResult {
  const played = deals.map((d) => ({ d, p: playPlan(d.offer, d.asOf, d.rules, behaviourOf(d.persona, d.offer, seed, strategy)) }));
  const kept = played.filter(({ p }) => p.ledger.status === 'completed' && !p.everMissed).length;
  const missed = played.filter(({ p }) => p.everMissed);
  const cured = missed.filter(({ p }) => p.ledger.status === 'completed').length;
  const broken = played.filter(({ p }) => p.ledger.status === 'cancelled').length;
  const recovered = played.reduce((s, { d, p }) => s + (d.offer.balanceMinor === 0 ? 0 : p.paidMinor / d.offer.balanceMinor), 0);
  return {
    plans: deals.length,
    keptRate: pct(kept, deals.length),
    cureRate: pct(cured, missed.length),
    brokenRate: pct(broken, deals.length),
    netRecoveryRate: personas === 0 ? 0 : Math.round((recovered / personas) * 1000) / 10,
  };
}
