/**
 * The ledger: payments matched to instalments exactly in minor units, statuses as the calendar
 * moves, the breach rules (grace, catch-up once, cancellation restoring the original balance), and
 * the reminders it plans. Properties over arbitrary schedules and payment streams.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyPayment,
  assess,
  DEFAULT_BREACH,
  DEFAULT_REMINDERS,
  noticesOf,
  openLedger,
  owedOf,
  paidOf,
  plannedContacts,
  schedule,
  stillDue,
  supersede,
  type BreachRules,
  type Ledger,
  type Offer,
} from '../../policy/index.js';
import { addDays } from '../../policy/dates.js';

function planOffer(principalMinor: number, months: number, startDate = '2026-12-01', annualRateBps = 0): Offer {
  const lines = schedule({ principalMinor, months, annualRateBps, startDate });
  const total = lines.reduce((s, l) => s + l.amountMinor, 0);
  return {
    offerId: `installment-${months}`,
    rank: 1,
    authority: 'bot',
    installment: { months, annualRateBps, interestFrozen: false, monthlyPaymentMinor: lines[0]!.amountMinor, firstDueDate: lines[0]!.dueDate, schedule: lines },
    deferral: null,
    interestWaiver: null,
    feeWaiver: null,
    settlement: null,
    balanceMinor: principalMinor,
    totalRepayableMinor: total,
    concessionMinor: 0,
    largestPaymentMinor: Math.max(...lines.map((l) => l.amountMinor)),
    ruleIds: ['test@1:buckets.M1.bot.installment'],
  };
}

const RULES: BreachRules = DEFAULT_BREACH;
const pay = (l: Ledger, id: string, amountMinor: number, paidOn: string, rules = RULES) => applyPayment(l, { paymentId: id, amountMinor, paidOn }, rules);

describe('matching payments to instalments', () => {
  // 3 × ¥100.00 + odd cents: 100.00, 100.00, 100.01 → due 01-01, 02-01, 03-01.
  const ledger = openLedger('FB-2026-AAAA-BBBB', planOffer(30_001, 3), '2026-12-01');

  it('opens with every line due and nothing paid', () => {
    expect(ledger.instalments.map((i) => [i.n, i.dueDate, i.amountMinor, i.status])).toEqual([
      [1, '2027-01-01', 10_000, 'due'],
      [2, '2027-02-01', 10_000, 'due'],
      [3, '2027-03-01', 10_001, 'due'],
    ]);
    expect(owedOf(ledger)).toBe(30_001);
  });

  it('pays oldest first, leaves a short payment partly paid, carries the rest to the next', () => {
    const a = pay(ledger, 'p1', 4_000, '2026-12-20');
    expect(a.ledger.instalments[0]).toMatchObject({ paidMinor: 4_000, status: 'partly_paid', paidOn: null });
    const b = pay(a.ledger, 'p2', 7_500, '2026-12-28');
    expect(b.ledger.instalments.map((i) => [i.paidMinor, i.status])).toEqual([
      [10_000, 'paid'],
      [1_500, 'partly_paid'],
      [0, 'due'],
    ]);
    expect(b.events[0]).toMatchObject({ type: 'payment_applied', allocations: [{ n: 1, amountMinor: 6_000 }, { n: 2, amountMinor: 1_500 }], excessMinor: 0 });
  });

  it('a payment id seen before changes nothing', () => {
    const once = pay(ledger, 'p1', 10_000, '2026-12-20').ledger;
    const twice = pay(once, 'p1', 10_000, '2026-12-20');
    expect(twice.events).toEqual([]);
    expect(twice.ledger).toBe(once);
  });

  it('pays everything → completed; more than owed → a credit', () => {
    const done = pay(ledger, 'p1', 30_101, '2026-12-20');
    expect(done.ledger.status).toBe('completed');
    expect(done.ledger.creditMinor).toBe(100);
    expect(done.events.map((e) => e.type)).toContain('completed');
  });
});

describe('the calendar and the breach rules', () => {
  const ledger = openLedger('FB-2026-AAAA-BBBB', planOffer(30_000, 3), '2026-12-01');

  it('late within the grace days, missed after, and paid late is paid', () => {
    expect(assess(ledger, '2027-01-01', RULES).ledger.instalments[0]!.status).toBe('due');
    const late = assess(ledger, '2027-01-02', RULES);
    expect(late.ledger.instalments[0]!.status).toBe('late');
    expect(noticesOf(late.ledger, late.events, RULES)).toEqual([{ kind: 'late', n: 1, dueDate: '2027-01-01', shortMinor: 10_000, missedBy: '2027-01-06' }]);
    expect(assess(ledger, '2027-01-06', RULES).ledger.instalments[0]!.status).toBe('late');
    const missed = assess(late.ledger, '2027-01-07', RULES);
    expect(missed.ledger.instalments[0]!.status).toBe('missed');
    expect(noticesOf(missed.ledger, missed.events, RULES)).toEqual([{ kind: 'missed', n: 1, shortMinor: 10_000, missesLeft: 1 }]);
    const cured = pay(missed.ledger, 'p1', 10_000, '2027-01-09');
    expect(cured.ledger.instalments[0]).toMatchObject({ status: 'paid', paidOn: '2027-01-09' });
  });

  it('two misses: one catch-up window, then cancellation restores the original balance less what was paid', () => {
    let l = pay(ledger, 'p1', 2_500, '2026-12-15').ledger;
    const second = assess(l, '2027-02-07', RULES);
    expect(second.ledger.status).toBe('active');
    expect(second.events.at(-1)).toEqual({ type: 'catch_up_granted', on: '2027-02-07', until: '2027-02-21', arrearsMinor: 17_500 });
    expect(noticesOf(second.ledger, second.events, RULES)).toEqual([{ kind: 'catch_up', until: '2027-02-21', arrearsMinor: 17_500 }]);
    l = assess(second.ledger, '2027-02-21', RULES).ledger;
    expect(l.status).toBe('active');
    const cancelled = assess(l, '2027-02-22', RULES);
    expect(cancelled.ledger.status).toBe('cancelled');
    expect(cancelled.events.at(-1)).toEqual({ type: 'cancelled', on: '2027-02-22', reason: 'missed_instalments', missed: 2, owedUnderOriginalTermsMinor: 27_500 });
    // Nothing more happens to a cancelled ledger, and money received later is a credit against the restored balance.
    expect(assess(cancelled.ledger, '2027-06-01', RULES).events).toEqual([]);
    expect(pay(cancelled.ledger, 'p2', 5_000, '2027-03-01').ledger.creditMinor).toBe(5_000);
  });

  it('paying the arrears inside the catch-up window cures the plan; the next breach cancels at once', () => {
    const window = assess(ledger, '2027-02-07', RULES).ledger;
    const cured = pay(window, 'p1', 20_000, '2027-02-10');
    expect(cured.ledger.instalments.map((i) => i.status)).toEqual(['paid', 'paid', 'due']);
    const again = assess(cured.ledger, '2027-03-07', { ...RULES, missesToCancel: 1 });
    expect(again.ledger.status).toBe('cancelled');
  });

  it('with no catch-up allowed the second miss cancels', () => {
    const rules = { ...RULES, catchUp: { allowed: false, days: 14 } };
    expect(assess(ledger, '2027-02-07', rules).ledger.status).toBe('cancelled');
  });

  it('assessing the same day twice changes nothing', () => {
    const once = assess(ledger, '2027-02-07', RULES).ledger;
    expect(assess(once, '2027-02-07', RULES).events).toEqual([]);
  });

  it('a superseded ledger stops', () => {
    const s = supersede(ledger, 'FB-2026-CCCC-DDDD', '2026-12-10');
    expect(s.ledger.status).toBe('superseded');
    expect(assess(s.ledger, '2027-06-01', RULES).events).toEqual([]);
  });
});

describe('planned contacts', () => {
  const ledger = openLedger('FB-2026-AAAA-BBBB', planOffer(30_000, 3), '2026-12-01');

  it('reminders 3 and 1 days before each unpaid due date and a nudge after each miss, from today on', () => {
    const planned = plannedContacts(ledger, RULES, DEFAULT_REMINDERS, '2026-12-30');
    expect(planned.filter((p) => p.n === 1)).toEqual([
      { key: 'FB-2026-AAAA-BBBB:reminder:1:1', purpose: 'reminder', n: 1, on: '2026-12-31' },
      { key: 'FB-2026-AAAA-BBBB:nudge:1', purpose: 'missed_nudge', n: 1, on: '2027-01-08' },
    ]);
    expect(planned.filter((p) => p.purpose === 'reminder')).toHaveLength(5);
  });

  it('a paid instalment needs no reminder, and one paid since planning is no longer due', () => {
    const paid = pay(ledger, 'p1', 10_000, '2026-12-20').ledger;
    expect(plannedContacts(paid, RULES, DEFAULT_REMINDERS, '2026-12-01').some((p) => p.n === 1)).toBe(false);
    expect(stillDue(paid, { purpose: 'reminder', n: 1 })).toBe(false);
    expect(stillDue(paid, { purpose: 'reminder', n: 2 })).toBe(true);
  });
});

describe('properties', () => {
  const plan = fc.record({
    principal: fc.integer({ min: 1, max: 50_000_000 }),
    months: fc.integer({ min: 1, max: 60 }),
    rate: fc.constantFrom(0, 600, 1_000),
  });
  const payments = fc.array(fc.record({ amount: fc.integer({ min: 0, max: 60_000_000 }), day: fc.integer({ min: 0, max: 2_000 }) }), { maxLength: 12 });

  it('every minor unit of every payment is accounted for, no instalment is overpaid, and order does not matter', () => {
    fc.assert(
      fc.property(plan, payments, fc.integer(), ({ principal, months, rate }, ps, seed) => {
        const start = openLedger('R', planOffer(principal, months, '2026-01-31', rate), '2026-01-31');
        const stream = ps.map((p, i) => ({ paymentId: `p${i}`, amountMinor: p.amount, paidOn: addDays('2026-01-31', p.day) }));
        const run = (order: typeof stream) => order.reduce((l, p) => applyPayment(l, p, RULES).ledger, start);
        const forward = run(stream);
        const shuffled = run(fc.sample(fc.shuffledSubarray(stream, { minLength: stream.length, maxLength: stream.length }), { seed, numRuns: 1 })[0]!);
        const received = stream.reduce((s, p) => s + p.amountMinor, 0);
        for (const l of [forward, shuffled]) {
          const applied = l.events.filter((e) => e.type === 'payment_applied');
          for (const e of applied) expect(e.allocations.reduce((s, a) => s + a.amountMinor, 0) + e.excessMinor).toBe(e.amountMinor);
          for (const i of l.instalments) expect(i.paidMinor).toBeLessThanOrEqual(i.amountMinor);
          if (l.status !== 'cancelled') expect(paidOf(l) + l.creditMinor).toBe(received);
        }
        if (forward.status !== 'cancelled' && shuffled.status !== 'cancelled') {
          expect(shuffled.instalments.map((i) => i.paidMinor)).toEqual(forward.instalments.map((i) => i.paidMinor));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('paying each instalment on its due date completes the plan with nothing late', () => {
    fc.assert(
      fc.property(plan, ({ principal, months, rate }) => {
        const start = openLedger('R', planOffer(principal, months, '2026-03-31', rate), '2026-03-31');
        const end = start.instalments.reduce((l, i) => {
          const assessed = assess(l, i.dueDate, RULES).ledger;
          return applyPayment(assessed, { paymentId: `p${i.n}`, amountMinor: i.amountMinor, paidOn: i.dueDate }, RULES).ledger;
        }, start);
        expect(end.status).toBe('completed');
        expect(end.events.some((e) => e.type === 'instalment_status' && (e.to === 'late' || e.to === 'missed'))).toBe(false);
      }),
      { numRuns: 100 },
    );
  });
});
