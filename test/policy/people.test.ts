/**
 * People-only holding arrangements (policy `peopleArrangements`): a token payment or a breathing
 * space, bounded per authority level in the policy file, never for the bot, never mixed with other
 * concessions, always ending in a review, and always cited by rule id with the policy version.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Account, bpsOf, evaluate, Policy, type Proposal } from '../../policy/index.js';
import { loadPolicy } from '../../policy/load.js';
import { DEMO_ACCOUNTS } from '../../policy/demo-accounts.js';
import { account, assessment, policyDoc } from './fixtures.js';

const cn = loadPolicy('default-cn');
const accountOf = (demo: (typeof DEMO_ACCOUNTS)[number]) => Account.parse(Object.fromEntries(Object.entries(demo).filter(([k]) => k in Account.shape)));
const li = accountOf(DEMO_ACCOUNTS.find((a) => a.accountId === 'cn-m2-li')!);
/** ¥1,000 a month left over: every plan is unaffordable, even a supervisor's. */
const tight = { asOf: '2026-11-22', hardshipReason: 'job_loss' as const, monthlyIncomeMinor: 1_400_000, essentialExpensesMinor: 1_300_000, expectedDurationMonths: null, signals: [] };
const codes = (d: { reasons: { code: string }[] }) => d.reasons.map((r) => r.code);

describe('people-only holding arrangements', () => {
  it('resolve the M2 ¥1,000-left-over case: a token payment within the level\'s months, cited by rule', () => {
    expect(evaluate(cn, li, tight, { months: 60 }, { authority: 'supervisor' }).outcome).not.toBe('accept');
    const token: Proposal = { tokenPaymentMinor: 40_000, months: 6 };
    const d = evaluate(cn, li, tight, token, { authority: 'supervisor' });
    expect(d.outcome).toBe('accept');
    const offer = d.offer!;
    expect(offer.installment!.schedule.map((l) => l.amountMinor)).toEqual(Array(6).fill(40_000));
    expect(offer.installment!.schedule.every((l) => l.interestMinor === 0)).toBe(true);
    expect(offer.holding).toEqual({ kind: 'token_payment', reviewDate: '2027-05-22', remainingMinor: 4_976_000 - 240_000 });
    expect(offer).toMatchObject({ authority: 'supervisor', totalRepayableMinor: 240_000, concessionMinor: 0, largestPaymentMinor: 40_000 });
    expect(offer.ruleIds).toEqual([
      'default-cn@2026.2:peopleArrangements.tokenPayment.maxMonths.supervisor',
      'default-cn@2026.2:peopleArrangements.tokenPayment.minMonthlyPaymentMinor',
      'default-cn@2026.2:peopleArrangements.tokenPayment.maxShareOfDisposableBps',
    ]);
    expect(d).toMatchObject({ policyId: 'default-cn', policyVersion: '2026.2' });
    // An agent may grant 3 months; 6 goes to a supervisor.
    expect(evaluate(cn, li, tight, { tokenPaymentMinor: 40_000, months: 3 }, { authority: 'agent' }).outcome).toBe('accept');
    const agent = evaluate(cn, li, tight, token, { authority: 'agent' });
    expect(agent.outcome).toBe('handoff');
    expect(agent.handoff).toMatchObject({ reason: 'out_of_authority', authorityNeeded: 'supervisor' });
    expect(agent.handoff!.ruleIds).toContain('default-cn@2026.2:peopleArrangements.tokenPayment.maxMonths.supervisor');
  });

  it('a breathing space: nothing due until the review, days bounded per level', () => {
    const d = evaluate(cn, li, tight, { breathingSpaceDays: 45 }, { authority: 'supervisor' });
    expect(d.outcome).toBe('accept');
    expect(d.offer).toMatchObject({ offerId: 'breathing-45d', installment: null, deferral: { days: 45, resumeDate: '2027-01-06' }, totalRepayableMinor: 0, largestPaymentMinor: 0 });
    expect(d.offer!.holding).toEqual({ kind: 'breathing_space', reviewDate: '2027-01-06', remainingMinor: 4_976_000 });
    expect(evaluate(cn, li, tight, { breathingSpaceDays: 45 }, { authority: 'agent' }).handoff?.authorityNeeded).toBe('supervisor');
    expect(codes(evaluate(cn, li, tight, { breathingSpaceDays: 61 }, { authority: 'supervisor' }))).toEqual(['above_limit']);
    expect(codes(evaluate(cn, li, tight, { breathingSpaceDays: 0 }, { authority: 'supervisor' }))).toEqual(['deferral_out_of_range']);
  });

  it('are refused to the bot, beyond affordability or below the minimum, mixed with anything, or where the policy has none', () => {
    const token: Proposal = { tokenPaymentMinor: 40_000, months: 3 };
    expect(codes(evaluate(cn, li, tight, token))).toEqual(['holding_needs_a_person']);
    expect(codes(evaluate(cn, li, tight, { breathingSpaceDays: 10 }))).toEqual(['holding_needs_a_person']);
    // Half of ¥1,000 is the most a token may take.
    expect(codes(evaluate(cn, li, tight, { tokenPaymentMinor: 50_001, months: 3 }, { authority: 'supervisor' }))).toEqual(['unaffordable']);
    expect(evaluate(cn, li, tight, { tokenPaymentMinor: 50_000, months: 3 }, { authority: 'supervisor' }).outcome).toBe('accept');
    expect(codes(evaluate(cn, li, tight, { tokenPaymentMinor: 9_999, months: 3 }, { authority: 'supervisor' }))).toEqual(['payment_below_minimum']);
    expect(codes(evaluate(cn, li, tight, { ...token, feeWaiverBps: 10_000 }, { authority: 'supervisor' }))).toEqual(['not_combinable']);
    expect(codes(evaluate(cn, li, tight, { ...token, breathingSpaceDays: 10 }, { authority: 'supervisor' }))).toEqual(['not_combinable']);
    expect(codes(evaluate(cn, li, tight, token, { authority: 'supervisor', override: { reasonCode: 'income_recovering' } }))).toEqual(['not_combinable']);
    expect(codes(evaluate(cn, li, tight, { tokenPaymentMinor: 40_000 }, { authority: 'supervisor' }))).toEqual(['months_out_of_range']);
    const unknown = evaluate(cn, li, { ...tight, monthlyIncomeMinor: null }, token, { authority: 'supervisor' });
    expect(unknown).toMatchObject({ outcome: 'counter', offer: null });
    // Enough to pay it all off is a plan, with a plan's rules.
    const rich = { ...tight, monthlyIncomeMinor: 100_000_000 };
    expect(codes(evaluate(cn, li, rich, { tokenPaymentMinor: 900_000, months: 6 }, { authority: 'supervisor' }))).toEqual(['token_repays_balance']);
    const none = evaluate(Policy.parse(policyDoc()), account(), assessment(), token, { authority: 'supervisor' });
    expect(codes(none)).toEqual(['holding_not_in_policy']);
  });

  it('a policy file bounds them: supervisor at least agent, a token never less affordable than a plan', () => {
    const doc = {
      ...policyDoc(),
      peopleArrangements: {
        tokenPayment: { minMonthlyPaymentMinor: 100, maxShareOfDisposableBps: 9_000, maxMonths: { agent: 6, supervisor: 3 } },
        breathingSpace: { maxDays: { agent: 60, supervisor: 30 } },
      },
    };
    const problems = Policy.safeParse(doc).error!.issues.map((i) => i.path.join('.'));
    expect(problems).toEqual(
      expect.arrayContaining([
        'peopleArrangements.tokenPayment.maxMonths.supervisor',
        'peopleArrangements.tokenPayment.maxShareOfDisposableBps',
        'peopleArrangements.breathingSpace.maxDays.supervisor',
      ]),
    );
  });

  it('property: an accepted holding arrangement stays within the level\'s limits, never repays the balance, and more authority never refuses what less granted', () => {
    const policyArb = fc
      .record({
        min: fc.integer({ min: 0, max: 50_000 }),
        share: fc.integer({ min: 0, max: 5_000 }),
        agentMonths: fc.integer({ min: 0, max: 12 }),
        extraMonths: fc.integer({ min: 0, max: 12 }),
        agentDays: fc.integer({ min: 0, max: 180 }),
        extraDays: fc.integer({ min: 0, max: 180 }),
      })
      .map(({ min, share, agentMonths, extraMonths, agentDays, extraDays }) =>
        Policy.parse({
          ...structuredClone(cn),
          peopleArrangements: {
            tokenPayment: { minMonthlyPaymentMinor: min, maxShareOfDisposableBps: share, maxMonths: { agent: agentMonths, supervisor: Math.min(12, agentMonths + extraMonths) } },
            breathingSpace: { maxDays: { agent: agentDays, supervisor: Math.min(180, agentDays + extraDays) } },
          },
        }),
      );
    const proposal: fc.Arbitrary<Proposal> = fc.oneof(
      fc.record({ tokenPaymentMinor: fc.integer({ min: -100, max: 2_000_000 }), months: fc.integer({ min: -1, max: 70 }) }),
      fc.record({ breathingSpaceDays: fc.integer({ min: -5, max: 400 }) }),
    );
    fc.assert(
      fc.property(
        policyArb,
        fc.constantFrom(...DEMO_ACCOUNTS.filter((a) => a.currency === 'CNY').map(accountOf)),
        fc.integer({ min: 0, max: 3_000_000 }),
        fc.integer({ min: 0, max: 3_000_000 }),
        proposal,
        fc.constantFrom('bot' as const, 'agent' as const, 'supervisor' as const),
        (policy, acc, income, expenses, p, level) => {
          const a = { ...tight, monthlyIncomeMinor: income, essentialExpensesMinor: expenses };
          const d = evaluate(policy, acc, a, p, { authority: level });
          expect(d).toEqual(evaluate(policy, acc, a, p, { authority: level }));
          if (level === 'bot') expect(d.outcome).toBe('reject');
          for (const r of [...d.reasons, ...(d.offer?.ruleIds.map((ruleId) => ({ ruleId })) ?? [])]) {
            expect(r.ruleId.startsWith(`${policy.id}@${policy.version}:peopleArrangements`) || r.ruleId.includes(':handoffTriggers.')).toBe(true);
          }
          if (d.outcome === 'accept') {
            const offer = d.offer!;
            const holding = offer.holding!;
            const granted = offer.authority as 'agent' | 'supervisor';
            expect(['agent', 'supervisor']).toContain(granted);
            if (level === 'agent') expect(granted).toBe('agent');
            if (holding.kind === 'token_payment') {
              const token = policy.peopleArrangements!.tokenPayment!;
              const lines = offer.installment!.schedule;
              expect(lines.length).toBeLessThanOrEqual(token.maxMonths[granted]);
              expect(lines.every((l) => l.amountMinor === p.tokenPaymentMinor && l.interestMinor === 0)).toBe(true);
              expect(p.tokenPaymentMinor!).toBeGreaterThanOrEqual(token.minMonthlyPaymentMinor);
              expect(p.tokenPaymentMinor!).toBeLessThanOrEqual(bpsOf(Math.max(0, income - expenses), token.maxShareOfDisposableBps));
              expect(offer.totalRepayableMinor).toBe(lines.reduce((s, l) => s + l.amountMinor, 0));
              expect(holding.reviewDate).toBe(lines.at(-1)!.dueDate);
            } else {
              expect(offer.deferral!.days).toBeLessThanOrEqual(policy.peopleArrangements!.breathingSpace!.maxDays[granted]);
              expect(offer.totalRepayableMinor).toBe(0);
            }
            expect(holding.remainingMinor).toBe(offer.balanceMinor - offer.totalRepayableMinor);
            expect(holding.remainingMinor).toBeGreaterThan(0);
          }
          if (level === 'agent' && d.outcome === 'accept') expect(evaluate(policy, acc, a, p, { authority: 'supervisor' }).outcome).toBe('accept');
          if (level === 'agent' && d.outcome === 'handoff') expect(evaluate(policy, acc, a, p, { authority: 'supervisor' }).outcome).toBe('accept');
        },
      ),
      { numRuns: 300 },
    );
  });
});
