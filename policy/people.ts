/**
 * People-only holding arrangements (policy `peopleArrangements`): for the hard cases where no plan
 * is affordable, a person may agree a token payment (a small fixed amount a month, interest and fees
 * frozen) or a breathing space (nothing due for some days), each bounded per authority level and
 * ending in a review by a person. They never repay the balance, so they are not rungs of the bot's
 * ladder and the bot can never grant one. The rule book for a proposal that asks for one:
 *
 *  1. at bot authority, where the policy has none, or combined with any other concession → reject;
 *  2. out of range (months outside 1–60, days ≤ 0, amount ≤ 0) → reject;
 *  3. token payment: affordability unknown → counter without an offer (income and expenses first);
 *     below the minimum, above the affordable share, or paying off the balance (then it is a plan)
 *     → reject;
 *  4. the lowest level whose limit allows it: none → reject; within the given authority → accept;
 *     else → handoff to that level (the supervisor's approval queue).
 */
import { addDays } from './dates.js';
import { levelsUpTo, ruleId, type CaseFacts } from './envelope.js';
import { escalation } from './explain.js';
import type { AuthorityLevel, Decision, Handoff, Offer, Proposal, Reason } from './model.js';
import { bpsOf } from './money.js';
import { schedule, totalOf } from './schedule.js';

export type HoldingKind = 'tokenPayment' | 'breathingSpace';

/** Which holding arrangement a proposal asks for, if any. */
export function holdingAsked(p: Proposal): HoldingKind | null {
  if (p.tokenPaymentMinor != null) return 'tokenPayment';
  if (p.breathingSpaceDays != null) return 'breathingSpace';
  return null;
}

type Decide = (outcome: Decision['outcome'], offer: Offer | null, handoff: Handoff | null, reasons: Reason[]) => Decision;

const HARD_CAP_MONTHS = 60;

export function evaluateHolding(c: CaseFacts, p: Proposal, authority: AuthorityLevel, decide: Decide): Decision {
  const kind = holdingAsked(p)!;
  const rule = (path: string) => ruleId(c.policy, `peopleArrangements.${kind}${path ? `.${path}` : ''}`);
  const reject = (code: string, path: string, detail?: string) => decide('reject', null, null, [{ code, ruleId: rule(path), ...(detail ? { detail } : {}) }]);
  const section = c.policy.peopleArrangements?.[kind];
  if (!section) return reject('holding_not_in_policy', '');
  if (authority === 'bot') return reject('holding_needs_a_person', '');
  const others = [p.monthlyPaymentMinor, p.settlementAmountMinor, p.settlementDiscountBps, p.deferralDays].some((v) => v != null)
    || (p.interestWaiverBps ?? 0) > 0
    || (p.feeWaiverBps ?? 0) > 0
    || (p.tokenPaymentMinor != null && p.breathingSpaceDays != null);
  if (others) return reject('not_combinable', '');

  const balance = c.envelope.balanceMinor;
  const { asOf } = c.assessment;
  let needsOf: (level: 'agent' | 'supervisor') => boolean;
  let limitPath: (level: 'agent' | 'supervisor') => string;
  let priced: (level: AuthorityLevel) => Omit<Offer, 'rank'>;
  const ruleIdsAt = (level: AuthorityLevel, paths: string[]) => paths.map((path) => rule(path.replace('{level}', level)));

  if (kind === 'tokenPayment') {
    const token = c.policy.peopleArrangements!.tokenPayment!;
    const months = p.months ?? null;
    const amount = p.tokenPaymentMinor!;
    if (months === null || months <= 0 || months > HARD_CAP_MONTHS) return reject('months_out_of_range', 'maxMonths', String(months));
    if (amount <= 0) return reject('monthly_payment_out_of_range', 'minMonthlyPaymentMinor', String(amount));
    const a = c.envelope.affordability;
    if (a.status === 'unknown') return decide('counter', null, null, [{ code: 'affordability_unknown', ruleId: rule('maxShareOfDisposableBps') }]);
    if (amount < token.minMonthlyPaymentMinor) return reject('payment_below_minimum', 'minMonthlyPaymentMinor', `${String(amount)} < ${String(token.minMonthlyPaymentMinor)}`);
    const cap = bpsOf(a.disposableMinor!, token.maxShareOfDisposableBps);
    if (amount > cap) return reject('unaffordable', 'maxShareOfDisposableBps', `${String(amount)} > ${String(cap)}`);
    // Paying it all off is a plan, with a plan's rules: a token is for when that cannot be done.
    if (amount * months >= balance) return reject('token_repays_balance', '', `${String(amount * months)} >= ${String(balance)}`);
    needsOf = (level) => months <= token.maxMonths[level];
    limitPath = (level) => `maxMonths.${level}`;
    priced = (level) => {
      const lines = schedule({ principalMinor: amount * months, months, annualRateBps: 0, startDate: asOf });
      const paid = totalOf(lines);
      return {
        offerId: `token-${String(months)}x${String(amount)}`,
        authority: level,
        installment: { months, annualRateBps: 0, interestFrozen: true, monthlyPaymentMinor: amount, firstDueDate: lines[0]!.dueDate, schedule: lines },
        deferral: null,
        interestWaiver: null,
        feeWaiver: null,
        settlement: null,
        holding: { kind: 'token_payment', reviewDate: lines.at(-1)!.dueDate, remainingMinor: balance - paid },
        balanceMinor: balance,
        totalRepayableMinor: paid,
        concessionMinor: 0,
        largestPaymentMinor: amount,
        ruleIds: ruleIdsAt(level, ['maxMonths.{level}', 'minMonthlyPaymentMinor', 'maxShareOfDisposableBps']),
      };
    };
  } else {
    const space = c.policy.peopleArrangements!.breathingSpace!;
    const days = p.breathingSpaceDays!;
    if (days <= 0 || p.months != null) return reject('deferral_out_of_range', 'maxDays', String(days));
    needsOf = (level) => days <= space.maxDays[level];
    limitPath = (level) => `maxDays.${level}`;
    priced = (level) => {
      const resume = addDays(asOf, days);
      return {
        offerId: `breathing-${String(days)}d`,
        authority: level,
        installment: null,
        deferral: { days, resumeDate: resume },
        interestWaiver: null,
        feeWaiver: null,
        settlement: null,
        holding: { kind: 'breathing_space', reviewDate: resume, remainingMinor: balance },
        balanceMinor: balance,
        totalRepayableMinor: 0,
        concessionMinor: 0,
        largestPaymentMinor: 0,
        ruleIds: ruleIdsAt(level, ['maxDays.{level}']),
      };
    };
  }

  const needed = (['agent', 'supervisor'] as const).find(needsOf);
  if (!needed) return reject('above_limit', limitPath('supervisor'));
  if (levelsUpTo(authority).includes(needed)) {
    const offer: Offer = { ...priced(needed), rank: 1 };
    return decide('accept', offer, null, offer.ruleIds.map((id) => ({ code: 'within_limit', ruleId: id })));
  }
  const breach = { code: 'above_limit', ruleId: rule(limitPath(authority as 'agent')) };
  return decide('handoff', null, escalation(c, 'outOfAuthority', needed, [rule(limitPath(needed))]), [breach]);
}

