import { describe, expect, it } from 'vitest';
import { Decision, evaluate, InputError, type Proposal } from '../../policy/index.js';
import { account, assessment, testPolicy } from './fixtures.js';

const policy = testPolicy();
const decide = (proposal: Proposal, opts: Parameters<typeof evaluate>[4] = {}, a = assessment(), acc = account()) => {
  const d = evaluate(policy, acc, a, proposal, opts);
  expect(Decision.parse(d)).toEqual(d);
  expect(d).toMatchObject({ policyId: 'test', policyVersion: '1' });
  expect(d.reasons.length).toBeGreaterThan(0);
  return d;
};
const codes = (d: Decision) => d.reasons.map((r) => r.code);

describe('accept', () => {
  it('accepts a plan within bot limits, fully computed', () => {
    const d = decide({ months: 12 });
    expect(d.outcome).toBe('accept');
    expect(d.offer).toMatchObject({ offerId: 'installment-12', authority: 'bot', rank: 2, largestPaymentMinor: 89_167, totalRepayableMinor: 1_070_000 });
    expect(d.reasons).toContainEqual({ code: 'within_limit', ruleId: 'test@1:buckets.M2.bot.installment.maxMonths' });
    expect(d.reasons).toContainEqual({ code: 'affordable', ruleId: 'test@1:affordability.maxShareOfDisposableBps' });
  });

  it('turns a monthly amount into the months it implies', () => {
    expect(decide({ monthlyPaymentMinor: 100_000 }).offer?.offerId).toBe('installment-11');
    expect(decide({ monthlyPaymentMinor: 97_273 }).offer?.offerId).toBe('installment-11');
    expect(decide({ monthlyPaymentMinor: 97_272 }).offer?.offerId).toBe('installment-12');
  });

  it('accepts each concession type at the authority that may grant it', () => {
    expect(decide({ months: 12, feeWaiverBps: 5_000 }).offer?.feeWaiver).toEqual({ bps: 5_000, amountMinor: 10_000 });
    expect(decide({ months: 12, interestWaiverBps: 5_000 }, { authority: 'agent' }).offer?.interestWaiver).toEqual({ bps: 5_000, amountMinor: 25_000 });
    const deferred = decide({ deferralDays: 30, months: 12 });
    expect(deferred.outcome).toBe('accept');
    expect(deferred.offer?.deferral).toEqual({ days: 30, resumeDate: '2026-03-02' });
    const alone = decide({ deferralDays: 30 });
    expect(alone.outcome).toBe('accept');
    expect(alone.offer).toMatchObject({ installment: null, largestPaymentMinor: 100_000 });
    const settled = decide({ settlementDiscountBps: 3_000 }, { authority: 'supervisor' });
    expect(settled.offer?.settlement).toEqual({ discountBps: 3_000, amountMinor: 749_000, payByDate: '2026-04-01' });
    expect(settled.offer?.authority).toBe('supervisor');
    expect(decide({ settlementAmountMinor: 963_000 }, { authority: 'agent' }).offer?.settlement?.discountBps).toBe(1_000);
  });

  it('freezes interest (停息挂账) on plans granted at a frozen level', () => {
    const d = decide({ months: 40 }, { authority: 'supervisor' });
    expect(d.offer?.installment).toMatchObject({ months: 40, interestFrozen: true, annualRateBps: 0 });
  });
});

describe('counter', () => {
  it('counters a slightly-too-long plan with the closest bot plan', () => {
    const d = decide({ months: 14 });
    expect(d.outcome).toBe('counter');
    expect(d.offer?.offerId).toBe('installment-12');
    expect(codes(d)).toEqual(['months_above_limit', 'counter_within_tolerance']);
    expect(d.reasons[0]!.ruleId).toBe('test@1:buckets.M2.bot.installment.maxMonths');
  });

  it('counters an unaffordable plan with an affordable one', () => {
    const d = decide({ months: 3 });
    expect(d.outcome).toBe('counter');
    expect(d.offer?.offerId).toBe('installment-11');
    expect(codes(d)).toEqual(['unaffordable']);
  });

  it('asks for a hardship reason before a concession that needs one', () => {
    const d = decide({ months: 12, interestWaiverBps: 5_000 }, { authority: 'agent' }, assessment({ hardshipReason: null }));
    expect(d.outcome).toBe('counter');
    expect(d.offer?.interestWaiver).toBeNull();
    expect(d.reasons).toContainEqual({ code: 'hardship_reason_required', ruleId: 'test@1:buckets.M2.requiresHardshipReason', detail: 'interestWaiver' });
  });

  it('counters without an offer until affordability is known', () => {
    const d = decide({ months: 12 }, {}, assessment({ essentialExpensesMinor: null }));
    expect(d).toMatchObject({ outcome: 'counter', offer: null, handoff: null });
    expect(codes(d)).toEqual(['affordability_unknown']);
  });
});

describe('handoff', () => {
  it('hands off a far-beyond-authority plan to the level that can grant it', () => {
    const d = decide({ months: 18 });
    expect(d.outcome).toBe('handoff');
    expect(d.handoff).toMatchObject({ reason: 'out_of_authority', authorityNeeded: 'agent' });
    expect(decide({ months: 40 }).handoff?.authorityNeeded).toBe('supervisor');
  });

  it('hands off instead of countering again when the cardholder insists', () => {
    const d = decide({ months: 14, insist: true });
    expect(d.outcome).toBe('handoff');
    expect(d.handoff?.authorityNeeded).toBe('agent');
  });

  it('hands off payments below the bot minimum to the level whose minimum is lower', () => {
    const small = account({ principalMinor: 100_000, interestMinor: 0, feesMinor: 0 });
    const d = decide({ months: 12 }, {}, assessment(), small);
    expect(d.outcome).toBe('handoff');
    expect(d.reasons[0]).toMatchObject({ code: 'payment_below_minimum', ruleId: 'test@1:buckets.M2.bot.installment.minMonthlyPaymentMinor' });
    expect(d.handoff?.authorityNeeded).toBe('agent');
  });

  it('hands off on every trigger whatever is asked', () => {
    const d = decide({ months: 12 }, {}, assessment({ signals: ['bankruptcy'] }));
    expect(d).toMatchObject({ outcome: 'handoff', offer: null, handoff: { reason: 'bankruptcy', urgency: 'high' } });
    expect(d.reasons).toEqual([{ code: 'trigger:bankruptcy', ruleId: 'test@1:handoffTriggers.signals.bankruptcy' }]);
  });

  it('hands off when nothing the bot may offer is affordable', () => {
    const poor = assessment({ monthlyIncomeMinor: 350_000, essentialExpensesMinor: 300_000 });
    const d = decide({ months: 12 }, {}, poor);
    expect(d.outcome).toBe('handoff');
    expect(d.handoff?.reason).toBe('out_of_authority');
    expect(decide({ months: 12 }, { authority: 'supervisor' }, assessment({ monthlyIncomeMinor: 301_000, essentialExpensesMinor: 300_000 })).handoff?.reason).toBe('unaffordable');
  });
});

describe('reject', () => {
  it.each<[Proposal, string]>([
    [{ months: 0 }, 'months_out_of_range'],
    [{ months: -5 }, 'months_out_of_range'],
    [{ months: 61 }, 'months_out_of_range'],
    [{ monthlyPaymentMinor: -100 }, 'monthly_payment_out_of_range'],
    [{ feeWaiverBps: 12_000 }, 'share_out_of_range'],
    [{ settlementAmountMinor: 2_000_000 }, 'settlement_amount_out_of_range'],
    [{ deferralDays: -1 }, 'deferral_out_of_range'],
    [{}, 'empty_proposal'],
  ])('rejects the absurd %j', (proposal, code) => {
    const d = decide(proposal);
    expect(d.outcome).toBe('reject');
    expect(codes(d)).toContain(code);
    expect(d.reasons.every((r) => r.ruleId.startsWith('engine:'))).toBe(true);
  });

  it('rejects what even a supervisor may not grant, citing the supervisor rule', () => {
    const d = decide({ settlementDiscountBps: 5_000 }, { authority: 'supervisor' });
    expect(d.outcome).toBe('reject');
    expect(d.reasons).toContainEqual({ code: 'settlement_discount_above_limit', ruleId: 'test@1:buckets.M2.supervisor.settlement.maxDiscountBps', detail: '535000 > 321000' });
    expect(decide({ monthlyPaymentMinor: 1 }).outcome).toBe('reject');
  });

  it('rejects concessions the bucket does not let combine', () => {
    const d = decide({ months: 12, settlementDiscountBps: 1_000 });
    expect(d.outcome).toBe('reject');
    expect(d.reasons).toContainEqual({ code: 'not_combinable', ruleId: 'test@1:buckets.M2.combinable', detail: 'installment+settlement' });
  });

  it('throws an InputError for a malformed proposal', () => {
    expect(() => evaluate(policy, account(), assessment(), { months: 1.5 })).toThrow(InputError);
    expect(() => evaluate(policy, account(), assessment(), { years: 2 })).toThrow(/proposal/);
  });
});
