/**
 * Turning a package of concessions into a fully-computed offer, and judging it: against one
 * authority level's limits, against the bucket's combination and hardship-reason rules, and against
 * what the cardholder can afford. `ladder` builds the ranked offers the bot may walk through.
 */
import { addDays } from './dates.js';
import { levelsUpTo, ruleId, type CaseFacts } from './envelope.js';
import type { AuthorityLevel, Concession, Offer, Reason } from './model.js';
import { bpsOf, mulDiv } from './money.js';
import { largestOf, schedule, totalOf } from './schedule.js';

/** What is being asked or offered, in the engine's terms (all validated, all in range). */
export interface Package {
  months: number | null;
  interestWaiverBps: number;
  feeWaiverBps: number;
  /** The lump sum paid under a settlement; null = no settlement. */
  settlementAmountMinor: number | null;
  deferralDays: number;
}

export const NO_CONCESSION: Package = {
  months: null,
  interestWaiverBps: 0,
  feeWaiverBps: 0,
  settlementAmountMinor: null,
  deferralDays: 0,
};

export type PricedOffer = Omit<Offer, 'rank'>;

export function concessionsOf(p: Package): Concession[] {
  const out: Concession[] = [];
  if (p.months !== null) out.push('installment');
  if (p.interestWaiverBps > 0) out.push('interestWaiver');
  if (p.feeWaiverBps > 0) out.push('feeWaiver');
  if (p.settlementAmountMinor !== null) out.push('settlement');
  if (p.deferralDays > 0) out.push('deferral');
  return out;
}

export function offerId(p: Package): string {
  const parts: string[] = [];
  if (p.deferralDays > 0) parts.push(`deferral-${String(p.deferralDays)}d`);
  if (p.months !== null) parts.push(`installment-${String(p.months)}`);
  if (p.interestWaiverBps > 0) parts.push(`interest-${String(p.interestWaiverBps)}bps`);
  if (p.feeWaiverBps > 0) parts.push(`fee-${String(p.feeWaiverBps)}bps`);
  if (p.settlementAmountMinor !== null) parts.push(`settlement-${String(p.settlementAmountMinor)}`);
  return parts.length ? parts.join('+') : 'no-concession';
}

export const owedAfterWaivers = (c: CaseFacts, p: Package): number =>
  c.envelope.balanceMinor - bpsOf(c.account.interestMinor, p.interestWaiverBps) - bpsOf(c.account.feesMinor, p.feeWaiverBps);

/** The offer this package amounts to on `level`'s terms (its plan rate, its settlement deadline). */
export function price(c: CaseFacts, level: AuthorityLevel, p: Package): PricedOffer {
  const limits = c.envelope.limits[level];
  const balance = c.envelope.balanceMinor;
  const { asOf } = c.assessment;
  const rule = (path: string) => c.rule(`${level}.${path}`);
  const ruleIds: string[] = [];

  if (p.settlementAmountMinor !== null) {
    const amount = p.settlementAmountMinor;
    ruleIds.push(rule('settlement.maxDiscountBps'), rule('settlement.payWithinDays'));
    return {
      offerId: offerId(p),
      authority: level,
      installment: null,
      deferral: null,
      interestWaiver: null,
      feeWaiver: null,
      settlement: {
        discountBps: balance === 0 ? 0 : mulDiv(balance - amount, 10_000, balance, 'ceil'),
        amountMinor: amount,
        payByDate: addDays(asOf, limits.settlement.payWithinDays),
      },
      balanceMinor: balance,
      totalRepayableMinor: amount,
      concessionMinor: balance - amount,
      largestPaymentMinor: amount,
      ruleIds: [...ruleIds, ruleIdOfAffordability(c, 'lump')],
    };
  }

  const interestWaived = bpsOf(c.account.interestMinor, p.interestWaiverBps);
  const feesWaived = bpsOf(c.account.feesMinor, p.feeWaiverBps);
  const owed = owedAfterWaivers(c, p);
  const start = p.deferralDays > 0 ? addDays(asOf, p.deferralDays) : asOf;
  if (p.interestWaiverBps > 0) ruleIds.push(rule('interestWaiverMaxBps'));
  if (p.feeWaiverBps > 0) ruleIds.push(rule('feeWaiverMaxBps'));
  if (p.deferralDays > 0) ruleIds.push(rule('deferralMaxDays'));

  let installment: PricedOffer['installment'] = null;
  let total = owed;
  // Without a plan the account stays on its normal terms: the usual minimum payment resumes.
  let largest = Math.min(c.account.minimumPaymentMinor, owed);
  if (p.months !== null) {
    const { interestFrozen } = limits.installment;
    const annualRateBps = interestFrozen ? 0 : limits.installment.annualRateBps;
    const lines = schedule({ principalMinor: owed, months: p.months, annualRateBps, startDate: start });
    total = totalOf(lines);
    largest = largestOf(lines);
    installment = {
      months: p.months,
      annualRateBps,
      interestFrozen,
      monthlyPaymentMinor: largest,
      firstDueDate: lines[0]!.dueDate,
      schedule: lines,
    };
    ruleIds.push(
      rule('installment.maxMonths'),
      rule('installment.minMonthlyPaymentMinor'),
      rule(interestFrozen ? 'installment.interestFrozen' : 'installment.annualRateBps'),
    );
  }
  if (concessionsOf(p).length > 1) ruleIds.push(c.bucketRule('combinable'));
  return {
    offerId: offerId(p),
    authority: level,
    installment,
    deferral: p.deferralDays > 0 ? { days: p.deferralDays, resumeDate: start } : null,
    interestWaiver: p.interestWaiverBps > 0 ? { bps: p.interestWaiverBps, amountMinor: interestWaived } : null,
    feeWaiver: p.feeWaiverBps > 0 ? { bps: p.feeWaiverBps, amountMinor: feesWaived } : null,
    settlement: null,
    balanceMinor: balance,
    totalRepayableMinor: total,
    concessionMinor: interestWaived + feesWaived,
    largestPaymentMinor: largest,
    ruleIds: [...ruleIds, ruleIdOfAffordability(c, 'monthly')],
  };
}

function ruleIdOfAffordability(c: CaseFacts, kind: 'monthly' | 'lump'): string {
  const path = kind === 'lump' ? 'affordability.lumpSumMaxMonthsOfDisposable' : 'affordability.maxShareOfDisposableBps';
  return ruleId(c.policy, path);
}

/** Where the package exceeds `level`'s limits (empty = this level may grant it). */
export function limitBreaches(c: CaseFacts, level: AuthorityLevel, p: Package, offer: PricedOffer): Reason[] {
  const limits = c.envelope.limits[level];
  const out: Reason[] = [];
  const breach = (code: string, path: string, asked: number, limit: number) =>
    out.push({ code, ruleId: c.rule(`${level}.${path}`), detail: `${String(asked)} > ${String(limit)}` });
  if (p.months !== null) {
    if (p.months > limits.installment.maxMonths) breach('months_above_limit', 'installment.maxMonths', p.months, limits.installment.maxMonths);
    const payment = offer.installment?.monthlyPaymentMinor ?? 0;
    if (p.months > 1 && payment < limits.installment.minMonthlyPaymentMinor) {
      out.push({
        code: 'payment_below_minimum',
        ruleId: c.rule(`${level}.installment.minMonthlyPaymentMinor`),
        detail: `${String(payment)} < ${String(limits.installment.minMonthlyPaymentMinor)}`,
      });
    }
  }
  if (p.interestWaiverBps > limits.interestWaiverMaxBps) {
    breach('interest_waiver_above_limit', 'interestWaiverMaxBps', p.interestWaiverBps, limits.interestWaiverMaxBps);
  }
  if (p.feeWaiverBps > limits.feeWaiverMaxBps) breach('fee_waiver_above_limit', 'feeWaiverMaxBps', p.feeWaiverBps, limits.feeWaiverMaxBps);
  if (p.settlementAmountMinor !== null) {
    const allowed = bpsOf(c.envelope.balanceMinor, limits.settlement.maxDiscountBps);
    const asked = c.envelope.balanceMinor - p.settlementAmountMinor;
    if (asked > allowed) breach('settlement_discount_above_limit', 'settlement.maxDiscountBps', asked, allowed);
  }
  if (p.deferralDays > limits.deferralMaxDays) breach('deferral_above_limit', 'deferralMaxDays', p.deferralDays, limits.deferralMaxDays);
  return out;
}

/** Rules no authority level can override: which concessions combine, which need a stated reason. */
export function bucketBreaches(c: CaseFacts, p: Package): Reason[] {
  const asked = concessionsOf(p);
  const out: Reason[] = [];
  const pairs = c.envelope.combinable;
  for (let i = 0; i < asked.length; i++) {
    for (let j = i + 1; j < asked.length; j++) {
      const [a, b] = [asked[i]!, asked[j]!];
      if (!pairs.some(([x, y]) => (x === a && y === b) || (x === b && y === a))) {
        out.push({ code: 'not_combinable', ruleId: c.bucketRule('combinable'), detail: `${a}+${b}` });
      }
    }
  }
  if (c.assessment.hardshipReason === null) {
    for (const k of asked) {
      if (c.envelope.requiresHardshipReason.includes(k)) {
        out.push({ code: 'hardship_reason_required', ruleId: c.bucketRule('requiresHardshipReason'), detail: k });
      }
    }
  }
  return out;
}

export type Affordable = 'yes' | 'no' | 'unknown';

export function affordable(c: CaseFacts, offer: PricedOffer): Affordable {
  const a = c.envelope.affordability;
  if (a.status === 'unknown') return 'unknown';
  const cap = offer.settlement ? a.maxLumpSumMinor! : a.maxMonthlyPaymentMinor!;
  return offer.largestPaymentMinor <= cap ? 'yes' : 'no';
}

export function affordabilityReason(c: CaseFacts, offer: PricedOffer): Reason {
  return {
    code: c.envelope.affordability.status === 'unknown' ? 'affordability_unknown' : 'unaffordable',
    ruleId: ruleIdOfAffordability(c, offer.settlement ? 'lump' : 'monthly'),
  };
}

/** An offer `level` may make and the cardholder can afford, or null. */
export function grantable(c: CaseFacts, level: AuthorityLevel, p: Package): PricedOffer | null {
  if (bucketBreaches(c, p).length) return null;
  const offer = price(c, level, p);
  return limitBreaches(c, level, p, offer).length === 0 && affordable(c, offer) === 'yes' ? offer : null;
}

/** The shortest plan `level` may grant that is affordable, on top of the other concessions in `base`. */
export function shortestPlan(c: CaseFacts, level: AuthorityLevel, base: Package): PricedOffer | null {
  const { maxMonths } = c.envelope.limits[level].installment;
  const cap = c.envelope.affordability.maxMonthlyPaymentMinor;
  if (!cap || bucketBreaches(c, { ...base, months: 1 }).length) return null;
  // A plan never costs less than owed/months a month, so shorter plans are not worth pricing.
  const owed = owedAfterWaivers(c, base);
  for (let m = Math.max(1, Math.ceil(owed / cap)); m <= maxMonths; m++) {
    const p = { ...base, months: m };
    const offer = price(c, level, p);
    if (limitBreaches(c, level, p, offer).some((r) => r.code === 'payment_below_minimum')) return null;
    if (grantable(c, level, p)) return offer;
  }
  return null;
}

const STANDARD_TERMS = [3, 6, 9, 12, 18, 24, 36, 48, 60];

/**
 * The negotiation ladder at or below `authority`, least concession first: the shortest affordable
 * plan, longer plans, plan + fee waiver, plan + interest waiver, deferral, settlement. Each rung is
 * offered by the lowest level that can grant it; a higher level adds a rung only where it can give
 * more, so the ladder at a higher authority always contains the lower one.
 */
export function ladder(c: CaseFacts, authority: AuthorityLevel): Offer[] {
  const levels = levelsUpTo(authority);
  const rungs: PricedOffer[] = [];
  const seen = new Set<string>();
  const add = (offer: PricedOffer | null) => {
    if (offer && !seen.has(offer.offerId)) {
      seen.add(offer.offerId);
      rungs.push(offer);
    }
  };
  const lowestGranting = (p: Package) => {
    for (const level of levels) {
      const offer = grantable(c, level, p);
      if (offer) return offer;
    }
    return null;
  };

  const planMonths = new Set<number>();
  for (const level of levels) {
    const shortest = shortestPlan(c, level, NO_CONCESSION);
    if (!shortest) continue;
    const first = shortest.installment!.months;
    const max = c.envelope.limits[level].installment.maxMonths;
    for (const m of [first, ...STANDARD_TERMS.filter((t) => t > first && t < max), max]) planMonths.add(m);
  }
  [...planMonths].sort((a, b) => a - b).forEach((m) => add(lowestGranting({ ...NO_CONCESSION, months: m })));

  const { interestMinor, feesMinor } = c.account;
  const waiverRung = (bpsAt: (level: AuthorityLevel) => Package | null) => {
    let previous = '';
    for (const level of levels) {
      const base = bpsAt(level);
      if (!base || offerId(base) === previous) continue;
      previous = offerId(base);
      add(shortestPlan(c, level, base));
    }
  };
  const limitsAt = (level: AuthorityLevel) => c.envelope.limits[level];
  if (feesMinor > 0) {
    waiverRung((l) => (limitsAt(l).feeWaiverMaxBps > 0 ? { ...NO_CONCESSION, feeWaiverBps: limitsAt(l).feeWaiverMaxBps } : null));
  }
  if (interestMinor > 0) {
    waiverRung((l) => {
      const { interestWaiverMaxBps, feeWaiverMaxBps } = limitsAt(l);
      if (interestWaiverMaxBps === 0) return null;
      const withFees = { ...NO_CONCESSION, interestWaiverBps: interestWaiverMaxBps, feeWaiverBps: feesMinor > 0 ? feeWaiverMaxBps : 0 };
      // Add the fee waiver too where the bucket lets all three combine; otherwise the interest waiver alone.
      return bucketBreaches(c, { ...withFees, months: 1 }).some((r) => r.code === 'not_combinable')
        ? { ...NO_CONCESSION, interestWaiverBps: interestWaiverMaxBps }
        : withFees;
    });
  }
  let previousDays = 0;
  for (const level of levels) {
    const days = limitsAt(level).deferralMaxDays;
    if (days <= previousDays) continue;
    previousDays = days;
    const base = { ...NO_CONCESSION, deferralDays: days };
    add(shortestPlan(c, level, base) ?? grantable(c, level, base));
  }
  let previousDiscount = 0;
  for (const level of levels) {
    const bps = limitsAt(level).settlement.maxDiscountBps;
    if (bps <= previousDiscount) continue;
    previousDiscount = bps;
    const amount = c.envelope.balanceMinor - bpsOf(c.envelope.balanceMinor, bps);
    add(lowestGranting({ ...NO_CONCESSION, settlementAmountMinor: amount }));
  }
  return rungs.map((offer, i) => ({ ...offer, rank: i + 1 }));
}
