/**
 * Installment schedules. With a rate, a standard annuity (equal payments, interest on the declining
 * balance at annualRate/12) computed in BigInt; the last line takes whatever principal is left, so
 * the principal column always sums exactly to the amount financed. At 0% the amount is split evenly
 * with the odd minor units on the last lines.
 */
import { addMonths } from './dates.js';
import { mulDivBig, split } from './money.js';
import type { ScheduleLine } from './model.js';

const MONTHLY_DENOMINATOR = 120_000n; // 12 months × 10 000 bps

/** The level payment of an annuity, rounded up so the plan never ends with a balloon line. */
function annuityPayment(principal: bigint, months: number, annualRateBps: number): bigint {
  const r = BigInt(annualRateBps);
  const growth = (MONTHLY_DENOMINATOR + r) ** BigInt(months);
  const base = MONTHLY_DENOMINATOR ** BigInt(months);
  // P·i·(1+i)^n / ((1+i)^n − 1) with i = r / 120 000, multiplied through by 120 000^n.
  return mulDivBig(principal * r, growth, MONTHLY_DENOMINATOR * (growth - base), 'ceil');
}

export interface PlanTerms {
  principalMinor: number;
  months: number;
  annualRateBps: number;
  /** Payments fall due monthly from this date (the same day of month, clamped to the month's end). */
  startDate: string;
}

export function schedule(terms: PlanTerms): ScheduleLine[] {
  const { principalMinor, months, annualRateBps, startDate } = terms;
  const dueDate = (n: number) => addMonths(startDate, n);
  if (annualRateBps === 0 || principalMinor === 0) {
    return split(principalMinor, months).map((amount, i) => ({
      n: i + 1,
      dueDate: dueDate(i + 1),
      amountMinor: amount,
      principalMinor: amount,
      interestMinor: 0,
    }));
  }
  const payment = annuityPayment(BigInt(principalMinor), months, annualRateBps);
  const rate = BigInt(annualRateBps);
  let remaining = BigInt(principalMinor);
  const lines: ScheduleLine[] = [];
  for (let n = 1; n <= months; n++) {
    const interest = mulDivBig(remaining, rate, MONTHLY_DENOMINATOR, 'halfUp');
    let principal = payment - interest;
    if (n === months || principal > remaining) principal = remaining;
    if (principal < 0n) principal = 0n;
    remaining -= principal;
    lines.push({
      n,
      dueDate: dueDate(n),
      amountMinor: Number(principal + interest),
      principalMinor: Number(principal),
      interestMinor: Number(interest),
    });
  }
  return lines;
}

export const totalOf = (lines: ScheduleLine[]): number => lines.reduce((sum, l) => sum + l.amountMinor, 0);
export const largestOf = (lines: ScheduleLine[]): number => lines.reduce((max, l) => Math.max(max, l.amountMinor), 0);
