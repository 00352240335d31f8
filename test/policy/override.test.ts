/**
 * The affordability override for people: bounded per authority level by the policy file, only with
 * a listed reason code, never for the bot, and always cited in the decision.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bpsOf, evaluate, Policy, type Proposal, Account } from '../../policy/index.js';
import { loadPolicy } from '../../policy/load.js';
import { DEMO_ACCOUNTS } from '../../policy/demo-accounts.js';
import { account, assessment, policyDoc } from './fixtures.js';

const cn = loadPolicy('default-cn');
const accountOf = (demo: (typeof DEMO_ACCOUNTS)[number]) => Account.parse(Object.fromEntries(Object.entries(demo).filter(([k]) => k in Account.shape)));
const li = accountOf(DEMO_ACCOUNTS.find((a) => a.accountId === 'cn-m2-li')!);
/** ¥1,000 a month left over: every plan is unaffordable at the standard half of it. */
const tight = { asOf: '2026-11-22', hardshipReason: 'job_loss' as const, monthlyIncomeMinor: 1_400_000, essentialExpensesMinor: 1_300_000, expectedDurationMonths: null, signals: [] };

describe('affordability override', () => {
  it('lets a supervisor resolve a case the policy calls unaffordable, citing the rule and the reason', () => {
    expect(evaluate(cn, li, tight, { months: 60 }, { authority: 'supervisor' }).outcome).not.toBe('accept');
    const d = evaluate(cn, li, tight, { months: 60 }, { authority: 'supervisor', override: { reasonCode: 'income_recovering' } });
    expect(d.outcome).toBe('accept');
    expect(d.offer!.largestPaymentMinor).toBeLessThanOrEqual(90_000);
    expect(d.reasons).toContainEqual({ code: 'affordability_override', ruleId: 'default-cn@2026.2:affordabilityOverride.maxShareOfDisposableBps.supervisor', detail: 'income_recovering' });
    expect(d.offer!.ruleIds).toContain('default-cn@2026.2:affordabilityOverride.maxShareOfDisposableBps.supervisor');
    // An agent's share (70%) does not reach a plan an agent may grant.
    expect(evaluate(cn, li, tight, { months: 36 }, { authority: 'agent', override: { reasonCode: 'income_recovering' } }).outcome).not.toBe('accept');
  });

  it('is refused to the bot, for an unlisted reason, and where the policy has no override', () => {
    const bot = evaluate(cn, li, tight, { months: 24 }, { override: { reasonCode: 'income_recovering' } });
    expect(bot.outcome).toBe('reject');
    expect(bot.reasons.map((r) => r.code)).toEqual(['override_needs_a_person']);
    const unknown = evaluate(cn, li, tight, { months: 60 }, { authority: 'supervisor', override: { reasonCode: 'because' } });
    expect(unknown.reasons.map((r) => r.code)).toEqual(['override_reason_unknown']);
    const none = evaluate(Policy.parse(policyDoc()), account(), assessment(), { months: 12 }, { authority: 'supervisor', override: { reasonCode: 'x' } });
    expect(none.reasons.map((r) => r.code)).toEqual(['override_not_in_policy']);
  });

  it('a policy file may only widen affordability, and supervisor at least as much as agent', () => {
    const doc = { ...policyDoc(), affordabilityOverride: { reasonCodes: ['r'], maxShareOfDisposableBps: { agent: 1000, supervisor: 500 } } };
    const problems = Policy.safeParse(doc).error!.issues.map((i) => i.path.join('.'));
    expect(problems).toEqual(expect.arrayContaining(['affordabilityOverride.maxShareOfDisposableBps.agent', 'affordabilityOverride.maxShareOfDisposableBps.supervisor']));
  });

  it('property: an accepted plan under override never takes more than the level\'s share of disposable income', () => {
    const policyArb = fc
      .tuple(fc.integer({ min: 5_000, max: 10_000 }), fc.integer({ min: 0, max: 5_000 }))
      .map(([agent, extra]) => Policy.parse({ ...structuredClone(cn), affordabilityOverride: { reasonCodes: ['income_recovering'], maxShareOfDisposableBps: { agent, supervisor: Math.min(10_000, agent + extra) } } }));
    const proposal: fc.Arbitrary<Proposal> = fc.oneof(
      fc.record({ months: fc.integer({ min: 1, max: 60 }) }),
      fc.record({ monthlyPaymentMinor: fc.integer({ min: 1_000, max: 500_000 }) }),
      fc.record({ months: fc.integer({ min: 1, max: 60 }), interestWaiverBps: fc.integer({ min: 0, max: 10_000 }) }),
      fc.record({ deferralDays: fc.integer({ min: 1, max: 90 }), months: fc.integer({ min: 1, max: 60 }) }),
    );
    fc.assert(
      fc.property(
        policyArb,
        fc.constantFrom(...DEMO_ACCOUNTS.filter((a) => a.currency === 'CNY').map(accountOf)),
        fc.integer({ min: 0, max: 2_000_000 }),
        fc.integer({ min: 0, max: 2_000_000 }),
        proposal,
        fc.constantFrom('agent' as const, 'supervisor' as const),
        (policy, acc, income, expenses, p, level) => {
          const a = { ...tight, monthlyIncomeMinor: income, essentialExpensesMinor: expenses };
          const d = evaluate(policy, acc, a, p, { authority: level, override: { reasonCode: 'income_recovering' } });
          expect(d.reasons.at(-1)?.code).toBe('affordability_override');
          if (d.offer && !d.offer.settlement) {
            const cap = bpsOf(Math.max(0, income - expenses), policy.affordabilityOverride!.maxShareOfDisposableBps[level]);
            expect(d.offer.largestPaymentMinor).toBeLessThanOrEqual(cap);
          }
          // Without the override the bot's answer is never widened.
          const plain = evaluate(policy, acc, a, p);
          if (plain.offer && !plain.offer.settlement) expect(plain.offer.largestPaymentMinor).toBeLessThanOrEqual(bpsOf(Math.max(0, income - expenses), policy.affordability.maxShareOfDisposableBps));
        },
      ),
      { numRuns: 150 },
    );
  });
});
