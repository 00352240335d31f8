/**
 * Terms quote what the schedule says: odd cents fall on some lines, and the offer text names each
 * amount as the schedule has it — never one rounded "monthly" figure the schedule contradicts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMoney } from '../../conversation/messages/index.js';
import { consentActivity, formatRate, offerLines, paymentRuns } from '../../dialogs/speak.js';
import { evaluate } from '../../policy/index.js';
import { loadPolicy } from '../../policy/load.js';

const policy = loadPolicy('default-cn');
const assessment = { asOf: '2026-11-22', hardshipReason: 'job_loss' as const, monthlyIncomeMinor: 5_000_000, essentialExpensesMinor: 100_000, expectedDurationMonths: null, signals: [] };
const m2 = (balance: number) => ({ accountId: 'a', currency: 'CNY', daysPastDue: 45, principalMinor: balance, interestMinor: 0, feesMinor: 0, minimumPaymentMinor: 10_000 });

describe('terms', () => {
  it('an interest-free plan whose cents do not divide evenly is quoted run by run', () => {
    // 40 months is beyond an agent in M2, so a supervisor's interest-free plan: ¥31,100.10 / 40.
    const offer = evaluate(policy, m2(3_110_010), assessment, { months: 40 }, { authority: 'supervisor' }).offer!;
    expect(offer.installment!.annualRateBps).toBe(0);
    const lines = offerLines(offer, 'CNY', 'zh-CN');
    expect(lines).toContain('第 1–30 期，每期还款 ¥777.50；');
    expect(lines).toContain('第 31–40 期，每期还款 ¥777.51；');
    expect(lines.join('\n')).not.toContain('每月还款');
    expect(lines).toContain('分期期间不收取利息。');
  });

  it('states the annual rate and puts the consequences of a missed payment before the consent buttons', () => {
    const offer = evaluate(policy, m2(2_000_000), assessment, { months: 12 }).offer!;
    const text = consentActivity(offer, 'CNY', 'en').text!;
    expect(text).toMatch(/Annual interest rate 8%/);
    expect(text.trim().split('\n').at(-1)).toMatch(/^If you miss a payment/);
    expect(formatRate(1050)).toBe('10.5%');
    expect(formatRate(1234)).toBe('12.34%');
  });

  it('property: every amount the schedule has is quoted, and only those', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100_000, max: 5_000_000 }), fc.integer({ min: 2, max: 60 }), fc.constantFrom('bot' as const, 'supervisor' as const), (balance, months, authority) => {
        const decision = evaluate(policy, m2(balance), assessment, { months }, { authority });
        if (decision.outcome !== 'accept') return;
        const schedule = decision.offer!.installment!.schedule;
        const text = offerLines(decision.offer!, 'CNY', 'zh-CN').slice(0, -2).join('\n');
        const quoted = new Set([...text.matchAll(/¥[\d,]+\.\d\d/g)].map((m) => m[0]));
        const scheduled = new Set(paymentRuns(schedule).map((r) => formatMoney(r.amountMinor, 'CNY', 'zh-CN')));
        expect(quoted).toEqual(scheduled);
      }),
      { numRuns: 200 },
    );
  });
});
