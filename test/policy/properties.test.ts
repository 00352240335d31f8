/**
 * Property tests: whatever policy, account, situation and request, the engine never lets the bot
 * exceed its envelope, schedules always add up, answers are reproducible, and authority only adds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bpsOf } from '../../policy/money.js';
import {
  AuthorityLevel,
  evaluate,
  explain,
  Policy,
  Signal,
  type Account,
  type Assessment,
  type AuthorityLimits,
  type Envelope,
  type Offer,
  type Proposal,
} from '../../policy/index.js';
import { policyDoc } from './fixtures.js';

const sorted = (min: number, max: number, order: 'asc' | 'desc') =>
  fc.tuple(fc.integer({ min, max }), fc.integer({ min, max }), fc.integer({ min, max })).map((xs) => xs.sort((a, b) => (order === 'asc' ? a - b : b - a)));

/** Limits for bot, agent and supervisor that grow more generous level by level. */
const levelLimits = fc
  .record({
    months: sorted(0, 60, 'asc'),
    minPay: sorted(0, 50_000, 'desc'),
    rate: sorted(0, 3_000, 'desc'),
    frozenFrom: fc.integer({ min: 0, max: 3 }),
    iw: sorted(0, 10_000, 'asc'),
    fw: sorted(0, 10_000, 'asc'),
    disc: sorted(0, 9_999, 'asc'),
    within: sorted(1, 365, 'asc'),
    defer: sorted(0, 365, 'asc'),
  })
  .map((g) => {
    const at = (i: number): AuthorityLimits => ({
      installment: {
        maxMonths: g.months[i]!,
        minMonthlyPaymentMinor: g.minPay[i]!,
        annualRateBps: i >= g.frozenFrom ? 0 : g.rate[i]!,
        interestFrozen: i >= g.frozenFrom,
      },
      interestWaiverMaxBps: g.iw[i]!,
      feeWaiverMaxBps: g.fw[i]!,
      settlement: { maxDiscountBps: g.disc[i]!, payWithinDays: g.within[i]! },
      deferralMaxDays: g.defer[i]!,
    });
    return { bot: at(0), agent: at(1), supervisor: at(2) };
  });

const concessions = ['installment', 'interestWaiver', 'feeWaiver', 'deferral'] as const;
const ALL_PAIRS = concessions.flatMap((a, i) => concessions.slice(i + 1).map((b) => [a, b] as [string, string]));

const policyArb = fc
  .record({
    cuts: fc.uniqueArray(fc.integer({ min: 1, max: 400 }), { maxLength: 4 }).map((xs) => xs.sort((a, b) => a - b)),
    limits: fc.array(levelLimits, { minLength: 5, maxLength: 5 }),
    reasons: fc.subarray([...concessions, 'settlement' as const]),
    combinable: fc.oneof(fc.constant(ALL_PAIRS), fc.subarray(ALL_PAIRS)),
    share: fc.integer({ min: 0, max: 10_000 }),
    lump: fc.integer({ min: 0, max: 24 }),
    tolerance: fc.integer({ min: 0, max: 10_000 }),
  })
  .map((g) => {
    const doc = policyDoc();
    const starts = [0, ...g.cuts];
    doc.buckets = Object.fromEntries(
      starts.map((start, i) => [
        `B${String(i)}`,
        {
          label: `bucket ${String(i)}`,
          minDaysPastDue: start,
          maxDaysPastDue: i + 1 < starts.length ? starts[i + 1]! - 1 : null,
          requiresHardshipReason: g.reasons,
          combinable: g.combinable,
          ...g.limits[i]!,
        },
      ]),
    );
    doc.affordability = { maxShareOfDisposableBps: g.share, lumpSumMaxMonthsOfDisposable: g.lump };
    doc.negotiation = { counterToleranceBps: g.tolerance };
    return Policy.parse(doc);
  });

const accountArb: fc.Arbitrary<Account> = fc.record({
  accountId: fc.constant('acc'),
  currency: fc.constant('CNY'),
  daysPastDue: fc.integer({ min: 0, max: 500 }),
  principalMinor: fc.integer({ min: 0, max: 20_000_000 }),
  interestMinor: fc.integer({ min: 0, max: 5_000_000 }),
  feesMinor: fc.integer({ min: 0, max: 1_000_000 }),
  minimumPaymentMinor: fc.integer({ min: 0, max: 10_000_000 }),
});

const isoDate = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

const assessmentArb: fc.Arbitrary<Assessment> = fc.record({
  asOf: isoDate,
  hardshipReason: fc.option(fc.constantFrom('job_loss', 'illness', 'other' as const), { nil: null }),
  monthlyIncomeMinor: fc.option(fc.integer({ min: 0, max: 5_000_000 }), { nil: null, freq: 8 }),
  essentialExpensesMinor: fc.option(fc.integer({ min: 0, max: 2_000_000 }), { nil: null, freq: 8 }),
  expectedDurationMonths: fc.option(fc.integer({ min: 0, max: 120 }), { nil: null }),
  signals: fc.oneof(
    { weight: 9, arbitrary: fc.constant<Signal[]>([]) },
    { weight: 1, arbitrary: fc.subarray<Signal>([...Signal.options], { maxLength: 2 }) },
  ),
});

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
/** Anything a cardholder might type, including nonsense. */
const wildProposal: fc.Arbitrary<Proposal> = fc.record(
  {
    months: maybe(fc.integer({ min: -3, max: 70 })),
    monthlyPaymentMinor: maybe(fc.integer({ min: -100, max: 20_000_000 })),
    interestWaiverBps: maybe(fc.integer({ min: -10, max: 11_000 })),
    feeWaiverBps: maybe(fc.integer({ min: -10, max: 11_000 })),
    settlementAmountMinor: maybe(fc.integer({ min: -10, max: 110_000_000 })),
    settlementDiscountBps: maybe(fc.integer({ min: -10, max: 11_000 })),
    deferralDays: maybe(fc.integer({ min: -5, max: 400 })),
    insist: maybe(fc.boolean()),
  },
  { requiredKeys: [] },
);
/** What cardholders usually ask: one or two in-range concessions, so accept and counter are common. */
const plausibleProposal: fc.Arbitrary<Proposal> = fc.oneof(
  fc.record({ months: fc.integer({ min: 1, max: 60 }), insist: maybe(fc.boolean()) }),
  fc.record({ monthlyPaymentMinor: fc.integer({ min: 1_000, max: 2_000_000 }) }),
  fc.record({ months: fc.integer({ min: 1, max: 36 }), feeWaiverBps: fc.integer({ min: 0, max: 10_000 }) }),
  fc.record({ months: fc.integer({ min: 1, max: 36 }), interestWaiverBps: fc.integer({ min: 0, max: 10_000 }) }),
  fc.record({ deferralDays: fc.integer({ min: 1, max: 120 }), months: maybe(fc.integer({ min: 1, max: 36 })) }),
  fc.record({ settlementDiscountBps: fc.integer({ min: 0, max: 6_000 }) }),
);
const proposalArb = fc.oneof({ weight: 3, arbitrary: plausibleProposal }, { weight: 1, arbitrary: wildProposal });

const authorityArb = fc.constantFrom(...AuthorityLevel.options);

/** Every way an offer could step outside one level's limits or the cardholder's means. */
function outsideEnvelope(offer: Offer, env: Envelope, level: AuthorityLevel, account: Account): string[] {
  const l: AuthorityLimits = env.limits[level];
  const out: string[] = [];
  const plan = offer.installment;
  if (plan) {
    if (plan.months > l.installment.maxMonths) out.push('months');
    if (plan.months > 1 && plan.monthlyPaymentMinor < l.installment.minMonthlyPaymentMinor) out.push('min payment');
    if (plan.annualRateBps < (l.installment.interestFrozen ? 0 : l.installment.annualRateBps)) out.push('rate');
    const principal = plan.schedule.reduce((s, x) => s + x.principalMinor, 0);
    if (principal !== env.balanceMinor - (offer.interestWaiver?.amountMinor ?? 0) - (offer.feeWaiver?.amountMinor ?? 0)) out.push('principal');
  }
  if ((offer.interestWaiver?.bps ?? 0) > l.interestWaiverMaxBps) out.push('interest waiver');
  if ((offer.interestWaiver?.amountMinor ?? 0) > bpsOf(account.interestMinor, l.interestWaiverMaxBps)) out.push('interest waived');
  if ((offer.feeWaiver?.bps ?? 0) > l.feeWaiverMaxBps) out.push('fee waiver');
  if (offer.settlement && env.balanceMinor - offer.settlement.amountMinor > bpsOf(env.balanceMinor, l.settlement.maxDiscountBps)) out.push('settlement');
  if ((offer.deferral?.days ?? 0) > l.deferralMaxDays) out.push('deferral');
  const a = env.affordability;
  const cap = offer.settlement ? a.maxLumpSumMinor : a.maxMonthlyPaymentMinor;
  if (cap === null || offer.largestPaymentMinor > cap) out.push('unaffordable');
  return out;
}

const RUNS = { numRuns: 600 };

describe('policy engine properties', () => {
  it('never accepts or counters outside the bot-level envelope', () => {
    fc.assert(
      fc.property(policyArb, accountArb, assessmentArb, proposalArb, (policy, account, assessment, proposal) => {
        const d = evaluate(policy, account, assessment, proposal);
        if (d.offer) {
          const env = explain(policy, account, assessment).envelope;
          expect(outsideEnvelope(d.offer, env, 'bot', account)).toEqual([]);
          expect(d.offer.authority).toBe('bot');
        }
        if (d.outcome === 'accept') expect(d.offer).not.toBeNull();
        expect(d.reasons.length).toBeGreaterThan(0);
        expect(d.reasons.every((r) => r.ruleId.startsWith('engine:') || r.ruleId.startsWith(`${policy.id}@${policy.version}:`))).toBe(true);
      }),
      RUNS,
    );
  });

  it('keeps every offer within the authority it is made under, and every schedule adds up', () => {
    fc.assert(
      fc.property(policyArb, accountArb, assessmentArb, authorityArb, (policy, account, assessment, authority) => {
        const e = explain(policy, account, assessment, { authority });
        for (const offer of e.offers) {
          expect(outsideEnvelope(offer, e.envelope, offer.authority, account)).toEqual([]);
          expect(AuthorityLevel.options.indexOf(offer.authority)).toBeLessThanOrEqual(AuthorityLevel.options.indexOf(authority));
          if (offer.installment) {
            expect(offer.installment.schedule.reduce((s, l) => s + l.amountMinor, 0)).toBe(offer.totalRepayableMinor);
            expect(offer.installment.schedule).toHaveLength(offer.installment.months);
          }
        }
        expect(e.offers.map((o) => o.rank)).toEqual(e.offers.map((_, i) => i + 1));
      }),
      RUNS,
    );
  });

  it('is deterministic byte for byte', () => {
    fc.assert(
      fc.property(policyArb, accountArb, assessmentArb, proposalArb, authorityArb, (policy, account, assessment, proposal, authority) => {
        const once = JSON.stringify(evaluate(policy, account, assessment, proposal, { authority }));
        const again = JSON.stringify(evaluate(structuredClone(policy), structuredClone(account), structuredClone(assessment), structuredClone(proposal), { authority }));
        expect(again).toBe(once);
      }),
      { numRuns: 150 },
    );
  });

  it('never gives a smaller envelope or fewer offers to more authority', () => {
    const atLeast = (higher: AuthorityLimits, lower: AuthorityLimits) => {
      expect(higher.installment.maxMonths).toBeGreaterThanOrEqual(lower.installment.maxMonths);
      expect(higher.installment.minMonthlyPaymentMinor).toBeLessThanOrEqual(lower.installment.minMonthlyPaymentMinor);
      expect(higher.installment.annualRateBps).toBeLessThanOrEqual(lower.installment.annualRateBps);
      expect(Number(higher.installment.interestFrozen)).toBeGreaterThanOrEqual(Number(lower.installment.interestFrozen));
      expect(higher.interestWaiverMaxBps).toBeGreaterThanOrEqual(lower.interestWaiverMaxBps);
      expect(higher.feeWaiverMaxBps).toBeGreaterThanOrEqual(lower.feeWaiverMaxBps);
      expect(higher.settlement.maxDiscountBps).toBeGreaterThanOrEqual(lower.settlement.maxDiscountBps);
      expect(higher.settlement.payWithinDays).toBeGreaterThanOrEqual(lower.settlement.payWithinDays);
      expect(higher.deferralMaxDays).toBeGreaterThanOrEqual(lower.deferralMaxDays);
    };
    fc.assert(
      fc.property(policyArb, accountArb, assessmentArb, (policy, account, assessment) => {
        const [bot, agent, supervisor] = AuthorityLevel.options.map((authority) => explain(policy, account, assessment, { authority }));
        const { limits } = bot!.envelope;
        atLeast(limits.agent, limits.bot);
        atLeast(limits.supervisor, limits.agent);
        const ids = (e: typeof bot) => e!.offers.map((o) => o.offerId);
        expect(ids(agent)).toEqual(expect.arrayContaining(ids(bot)));
        expect(ids(supervisor)).toEqual(expect.arrayContaining(ids(agent)));
      }),
      { numRuns: 150 },
    );
  });
});
