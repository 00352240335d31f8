import { describe, expect, it } from 'vitest';
import { explain, InputError, Signal, triggeredHandoff } from '../../policy/index.js';
import { account, assessment, SIGNAL_TRIGGERS, testPolicy } from './fixtures.js';

const policy = testPolicy();
const ids = (offers: { offerId: string }[]) => offers.map((o) => o.offerId);

describe('buckets', () => {
  it.each([
    [0, 'M1'],
    [30, 'M1'],
    [31, 'M2'],
    [60, 'M2'],
    [61, 'M3'],
    [90, 'M3'],
    [91, 'M4_6'],
    [180, 'M4_6'],
    [181, 'CO'],
    [5000, 'CO'],
  ])('%i days past due is in %s', (daysPastDue, bucket) => {
    const e = explain(policy, account({ daysPastDue }), assessment());
    expect(e.bucket.id).toBe(bucket);
    expect(e.envelope.ruleIdPrefix).toBe(`test@1:buckets.${bucket}`);
  });

  it('uses a balance tier when the balance reaches it', () => {
    const doc = testPolicy();
    const co = doc.buckets.CO!;
    co.balanceTiers = { large: { label: 'large', minBalanceMinor: 1_070_000, bot: co.agent, agent: co.agent, supervisor: co.supervisor } };
    const at = explain(doc, account({ daysPastDue: 200 }), assessment());
    expect(at.bucket.balanceTier).toBe('large');
    expect(at.envelope.ruleIdPrefix).toBe('test@1:buckets.CO.balanceTiers.large');
    expect(at.envelope.limits.bot.installment.maxMonths).toBe(24);
    const below = explain(doc, account({ daysPastDue: 200, feesMinor: 19_999 }), assessment());
    expect(below.bucket.balanceTier).toBeNull();
    expect(below.envelope.limits.bot.installment.maxMonths).toBe(12);
  });
});

describe('the ladder', () => {
  it('climbs from the shortest affordable plan to longer plans, waivers and deferral', () => {
    const e = explain(policy, account(), assessment());
    expect(ids(e.offers)).toEqual(['installment-11', 'installment-12', 'installment-11+fee-5000bps', 'deferral-30d+installment-11']);
    expect(e.offers.map((o) => o.rank)).toEqual([1, 2, 3, 4]);
    expect(e.offers.every((o) => o.authority === 'bot')).toBe(true);
    expect(e.handoff).toBeNull();
    const [first] = e.offers;
    expect(first!.installment!.monthlyPaymentMinor).toBe(97_273);
    expect(first!.installment!.schedule.reduce((s, l) => s + l.amountMinor, 0)).toBe(1_070_000);
    expect(first!.ruleIds).toContain('test@1:buckets.M2.bot.installment.maxMonths');
    expect(e.offers[2]!.feeWaiver).toEqual({ bps: 5_000, amountMinor: 10_000 });
    expect(e.offers[3]!.deferral).toEqual({ days: 30, resumeDate: '2026-03-02' });
    expect(e.offers[3]!.installment!.firstDueDate).toBe('2026-04-02');
  });

  it('adds the rungs only a higher authority can grant, keeping the lower ones', () => {
    const bot = explain(policy, account(), assessment());
    const agent = explain(policy, account(), assessment(), { authority: 'agent' });
    expect(ids(agent.offers)).toEqual([
      'installment-11',
      'installment-12',
      'installment-18',
      'installment-24',
      'installment-11+fee-5000bps',
      'installment-11+fee-10000bps',
      'installment-11+interest-5000bps+fee-10000bps',
      'deferral-30d+installment-11',
      'deferral-60d+installment-11',
      'settlement-963000',
    ]);
    expect(ids(agent.offers)).toEqual(expect.arrayContaining(ids(bot.offers)));
    const settlement = agent.offers.at(-1)!;
    expect(settlement.authority).toBe('agent');
    expect(settlement.settlement).toEqual({ discountBps: 1_000, amountMinor: 963_000, payByDate: '2026-03-02' });
    expect(settlement.concessionMinor).toBe(107_000);
  });

  it('leaves out concessions that need a hardship reason when none was given', () => {
    const e = explain(policy, account(), assessment({ hardshipReason: null }), { authority: 'agent' });
    expect(e.offers.some((o) => o.interestWaiver || o.settlement)).toBe(false);
    expect(e.reasons).toContainEqual({
      code: 'hardship_reason_required',
      ruleId: 'test@1:buckets.M2.requiresHardshipReason',
      detail: 'interestWaiver,settlement',
    });
  });
});

describe('affordability', () => {
  // Disposable income d gives a monthly cap of d/2; the 11-month plan costs 97 273 a month.
  const withCap = (cap: number) => assessment({ monthlyIncomeMinor: 300_000 + 2 * cap, essentialExpensesMinor: 300_000 });

  it('offers a plan whose payment equals the cap exactly', () => {
    expect(explain(policy, account(), withCap(97_273)).offers[0]!.offerId).toBe('installment-11');
  });

  it('never offers a plan one minor unit above the cap', () => {
    const e = explain(policy, account(), withCap(97_272));
    expect(e.offers[0]!.offerId).toBe('installment-12');
    expect(e.offers.every((o) => o.largestPaymentMinor <= 97_272)).toBe(true);
  });

  it('hands off to the level that has an affordable plan when the bot has none', () => {
    const e = explain(policy, account(), withCap(50_000));
    expect(e.offers).toEqual([]);
    expect(e.handoff).toMatchObject({ reason: 'out_of_authority', authorityNeeded: 'agent' });
    expect(e.handoff!.ruleIds).toContain('test@1:handoffTriggers.outOfAuthority');
  });

  it('hands off as unaffordable when no level has an affordable plan', () => {
    const e = explain(policy, account(), withCap(10_000), { authority: 'supervisor' });
    expect(e.offers.filter((o) => o.installment)).toEqual([]);
    expect(e.handoff).toEqual({
      reason: 'unaffordable',
      urgency: 'high',
      authorityNeeded: null,
      ruleIds: ['test@1:handoffTriggers.unaffordable', 'test@1:affordability.maxShareOfDisposableBps'],
    });
  });

  it('treats expenses above income as nothing to spare', () => {
    const e = explain(policy, account(), assessment({ monthlyIncomeMinor: 100_000, essentialExpensesMinor: 400_000 }), { authority: 'supervisor' });
    expect(e.envelope.affordability).toMatchObject({ disposableMinor: 0, maxMonthlyPaymentMinor: 0 });
    expect(e.handoff?.reason).toBe('unaffordable');
  });

  it('offers nothing until income and expenses are known', () => {
    const e = explain(policy, account(), assessment({ monthlyIncomeMinor: null }));
    expect(e.offers).toEqual([]);
    expect(e.handoff).toBeNull();
    expect(e.reasons.map((r) => r.code)).toContain('affordability_unknown');
  });
});

describe('handoff triggers', () => {
  it.each(Signal.options)('%s hands off with the policy reason and urgency', (signal) => {
    const e = explain(policy, account(), assessment({ signals: [signal] }));
    expect(e.offers).toEqual([]);
    expect(e.handoff).toEqual({
      ...SIGNAL_TRIGGERS[signal],
      authorityNeeded: null,
      ruleIds: [`test@1:handoffTriggers.signals.${signal}`],
    });
  });

  it('takes the most urgent trigger and lists every matching rule', () => {
    const h = triggeredHandoff(policy, ['dispute', 'self_harm']);
    expect(h).toEqual({
      reason: 'vulnerability',
      urgency: 'critical',
      authorityNeeded: null,
      ruleIds: ['test@1:handoffTriggers.signals.self_harm', 'test@1:handoffTriggers.signals.dispute'],
    });
    expect(triggeredHandoff(policy, [])).toBeNull();
  });
});

describe('input validation', () => {
  it('refuses an account in another currency and an impossible date, naming the field', () => {
    expect(() => explain(policy, account({ currency: 'USD' }), assessment())).toThrow(/account\.currency/);
    expect(() => explain(policy, account(), assessment({ asOf: '2026-02-30' }))).toThrow(InputError);
    expect(() => explain(policy, { ...account(), daysPastDue: -1 }, assessment())).toThrow(/daysPastDue/);
  });
});
