/**
 * evaluate: the engine's answer to one proposal (a people-only token payment or breathing space is
 * answered by policy/people.ts after the handoff triggers). The order of the checks is the rule book:
 *
 *  1. a handoff trigger in the assessment's signals → handoff (nothing is negotiated with a
 *     vulnerable or disputing cardholder);
 *  2. an absurd request (months ≤ 0 or > 60, non-positive amounts, shares outside 0–100 %, a
 *     settlement above the balance, nothing asked) or concessions the bucket does not let combine
 *     → reject;
 *  3. affordability unknown → counter without an offer (ask for income and expenses first);
 *  4. a concession that needs a stated hardship reason and none was given → counter with the
 *     closest ladder offer that needs none;
 *  5. no authority level may grant it → counter if a ladder offer is close, else reject;
 *  6. unaffordable → counter with the closest affordable ladder offer, else the explanation's
 *     handoff (to a level with an affordable plan, or "unaffordable");
 *  7. within the given authority → accept;
 *  8. needs more authority → counter if a ladder offer is close and the cardholder does not insist,
 *     else handoff to the lowest level that can grant it.
 *
 * "Close" means the counter grants the same kinds of concession and its largest payment is at most
 * `negotiation.counterToleranceBps` above the asked one; "closest" is the ladder offer with the same kinds of concession, then the nearest
 * term, then the nearest waiver/discount shares, then the nearest deferral, then the lower rank.
 */
import { caseFacts, LEVELS, levelsUpTo, ruleId, withAffordabilityOverride, type CaseFacts } from './envelope.js';
import { parseInput } from './errors.js';
import { escalation, explainFacts, triggeredHandoff, triggerReasons } from './explain.js';
import {
  EvaluateOptions,
  Proposal,
  type AuthorityLevel,
  type Decision,
  type Handoff,
  type Offer,
  type Reason,
} from './model.js';
import { bpsOf, mulDiv } from './money.js';
import {
  affordabilityReason,
  affordable,
  bucketBreaches,
  concessionsOf,
  limitBreaches,
  NO_CONCESSION,
  owedAfterWaivers,
  price,
  type Package,
  type PricedOffer,
} from './offers.js';
import { evaluateHolding, holdingAsked } from './people.js';
import { largestOf, schedule } from './schedule.js';
import type { Policy } from './schema.js';

const HARD_CAP_MONTHS = 60;

/** Why an affordability override may not be used here: never by the bot, only where the policy has one, only with its reason codes. */
function overrideRefusal(policy: Policy, authority: AuthorityLevel, reasonCode: string): Reason | null {
  const section = policy.affordabilityOverride;
  if (!section) return { code: 'override_not_in_policy', ruleId: ruleId(policy, 'affordabilityOverride'), detail: reasonCode };
  if (authority === 'bot') return { code: 'override_needs_a_person', ruleId: ruleId(policy, 'affordabilityOverride.maxShareOfDisposableBps'), detail: reasonCode };
  if (!section.reasonCodes.includes(reasonCode)) return { code: 'override_reason_unknown', ruleId: ruleId(policy, 'affordabilityOverride.reasonCodes'), detail: reasonCode };
  return null;
}
const engineRule = (path: string) => `engine:${path}`;

/** Requests no policy could grant: answered with reject before anything is priced. */
function absurdities(c: CaseFacts, p: Proposal): Reason[] {
  const out: Reason[] = [];
  const bad = (code: string, field: string, value: number) =>
    out.push({ code, ruleId: engineRule(`proposal.${field}`), detail: String(value) });
  const balance = c.envelope.balanceMinor;
  if (p.months != null && (p.months <= 0 || p.months > HARD_CAP_MONTHS)) bad('months_out_of_range', 'months', p.months);
  if (p.monthlyPaymentMinor != null && p.monthlyPaymentMinor <= 0) bad('monthly_payment_out_of_range', 'monthlyPaymentMinor', p.monthlyPaymentMinor);
  for (const field of ['interestWaiverBps', 'feeWaiverBps', 'settlementDiscountBps'] as const) {
    const v = p[field];
    if (v != null && (v < 0 || v > 10_000)) bad('share_out_of_range', field, v);
  }
  if (p.settlementAmountMinor != null && (p.settlementAmountMinor <= 0 || p.settlementAmountMinor > balance)) {
    bad('settlement_amount_out_of_range', 'settlementAmountMinor', p.settlementAmountMinor);
  }
  if (p.deferralDays != null && p.deferralDays <= 0) bad('deferral_out_of_range', 'deferralDays', p.deferralDays);
  const asked = [p.months, p.monthlyPaymentMinor, p.settlementAmountMinor, p.settlementDiscountBps, p.deferralDays].some((v) => v != null)
    || (p.interestWaiverBps ?? 0) > 0
    || (p.feeWaiverBps ?? 0) > 0;
  if (!asked) out.push({ code: 'empty_proposal', ruleId: engineRule('proposal') });
  return out;
}

/**
 * The proposal as a package on `level`'s terms. A monthly amount becomes the shortest plan whose
 * payments fit within it (ceil(owed / amount) at 0 %); more than 60 months stays as asked so that no
 * level can grant it.
 */
function packageAt(c: CaseFacts, level: AuthorityLevel, p: Proposal): Package {
  const balance = c.envelope.balanceMinor;
  const settlementAmountMinor =
    p.settlementAmountMinor ?? (p.settlementDiscountBps != null ? balance - bpsOf(balance, p.settlementDiscountBps) : null);
  const pkg: Package = {
    ...NO_CONCESSION,
    months: p.months ?? null,
    interestWaiverBps: p.interestWaiverBps ?? 0,
    feeWaiverBps: p.feeWaiverBps ?? 0,
    settlementAmountMinor,
    deferralDays: p.deferralDays ?? 0,
  };
  if (p.monthlyPaymentMinor == null) return pkg;
  const owed = owedAfterWaivers(c, pkg);
  const { installment } = c.envelope.limits[level];
  const rate = installment.interestFrozen ? 0 : installment.annualRateBps;
  let months = Math.max(1, mulDiv(owed, 1, p.monthlyPaymentMinor, 'ceil'));
  while (
    months <= HARD_CAP_MONTHS &&
    rate > 0 &&
    largestOf(schedule({ principalMinor: owed, months, annualRateBps: rate, startDate: c.assessment.asOf })) > p.monthlyPaymentMinor
  ) {
    months++;
  }
  return { ...pkg, months: Math.max(months > HARD_CAP_MONTHS ? HARD_CAP_MONTHS + 1 : months, pkg.months ?? 0) };
}

function kindsOf(o: Offer): string[] {
  return [
    o.installment && 'installment',
    o.interestWaiver && 'interestWaiver',
    o.feeWaiver && 'feeWaiver',
    o.settlement && 'settlement',
    o.deferral && 'deferral',
  ].filter((k): k is string => typeof k === 'string');
}

/** The ladder offer closest to what was asked (see the rule book above). */
function closest(c: CaseFacts, offers: Offer[], asked: Package): Offer | null {
  const askedKinds = concessionsOf(asked) as string[];
  const balance = c.envelope.balanceMinor;
  const askedDiscount = asked.settlementAmountMinor === null || balance === 0 ? 0 : mulDiv(balance - asked.settlementAmountMinor, 10_000, balance, 'ceil');
  const distance = (o: Offer): number[] => {
    const kinds = kindsOf(o);
    const mismatch = askedKinds.filter((k) => !kinds.includes(k)).length + kinds.filter((k) => !askedKinds.includes(k)).length;
    const months = o.installment && asked.months !== null ? Math.abs(o.installment.months - asked.months) : 0;
    const shares =
      Math.abs((o.interestWaiver?.bps ?? 0) - asked.interestWaiverBps) +
      Math.abs((o.feeWaiver?.bps ?? 0) - asked.feeWaiverBps) +
      Math.abs((o.settlement?.discountBps ?? 0) - askedDiscount);
    return [mismatch, months, shares, Math.abs((o.deferral?.days ?? 0) - asked.deferralDays), o.rank];
  };
  let best: { offer: Offer; d: number[] } | null = null;
  for (const offer of offers) {
    const d = distance(offer);
    if (!best || lexLess(d, best.d)) best = { offer, d };
  }
  return best?.offer ?? null;
}

function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

/** A counter is close when it grants the same kinds of concession for at most `tolerance` more a payment. */
const isClose = (c: CaseFacts, counter: Offer, asked: PricedOffer) =>
  sameKinds(kindsOf(counter), kindsOf({ ...asked, rank: 1 })) &&
  counter.largestPaymentMinor <= mulDiv(asked.largestPaymentMinor, 10_000 + c.policy.negotiation.counterToleranceBps, 10_000, 'floor');

const sameKinds = (a: string[], b: string[]) => a.length === b.length && a.every((k) => b.includes(k));

const tolerance = (c: CaseFacts): Reason => ({
  code: 'counter_within_tolerance',
  ruleId: ruleId(c.policy, 'negotiation.counterToleranceBps'),
});

/**
 * Decide one proposal under `opts.authority` (default bot). Inputs are validated; a malformed one
 * throws an InputError, while a well-formed but absurd one is answered with reject.
 */
export function evaluate(
  policy: Policy,
  account: unknown,
  assessment: unknown,
  proposal: unknown,
  opts?: EvaluateOptions,
): Decision {
  const { authority, override } = parseInput(EvaluateOptions, opts ?? {}, 'options');
  const facts = caseFacts(policy, account, assessment);
  const p = parseInput(Proposal, proposal, 'proposal');
  const refusal = override ? overrideRefusal(policy, authority, override.reasonCode) : null;
  // Under an override every answer cites it, so compliance sees which rule and reason widened affordability.
  const overridden: Reason | null =
    override && !refusal
      ? { code: 'affordability_override', ruleId: ruleId(policy, `affordabilityOverride.maxShareOfDisposableBps.${authority}`), detail: override.reasonCode }
      : null;
  const c = overridden ? withAffordabilityOverride(facts, authority as 'agent' | 'supervisor') : facts;
  const decide = (outcome: Decision['outcome'], offer: Offer | null, handoff: Handoff | null, reasons: Reason[]): Decision => ({
    outcome,
    offer: offer && overridden ? { ...offer, ruleIds: [...offer.ruleIds, overridden.ruleId] } : offer,
    handoff,
    reasons: overridden ? [...reasons, overridden] : reasons,
    policyId: policy.id,
    policyVersion: policy.version,
  });
  if (refusal) return decide('reject', null, null, [refusal]);

  const trigger = triggeredHandoff(policy, c.assessment.signals);
  if (trigger) return decide('handoff', null, trigger, triggerReasons(policy, c.assessment.signals));

  // A token payment or breathing space has rules of its own (policy/people.ts); it never widens affordability.
  if (holdingAsked(p)) {
    if (!override) return evaluateHolding(c, p, authority, decide);
    const reasons = [{ code: 'not_combinable', ruleId: ruleId(policy, 'peopleArrangements'), detail: 'affordability override' }];
    return { outcome: 'reject', offer: null, handoff: null, reasons, policyId: policy.id, policyVersion: policy.version };
  }

  const absurd = absurdities(c, p);
  if (absurd.length) return decide('reject', null, null, absurd);

  const bucketRules = bucketBreaches(c, packageAt(c, 'bot', p));
  const notCombinable = bucketRules.filter((r) => r.code === 'not_combinable');
  if (notCombinable.length) return decide('reject', null, null, notCombinable);

  if (c.envelope.affordability.status === 'unknown') {
    return decide('counter', null, null, [affordabilityReason(c, price(c, authority, packageAt(c, authority, p)))]);
  }

  const explanation = explainFacts(c, authority);
  const counterOr = (asked: Package, reasons: Reason[], otherwise: () => Decision): Decision => {
    const offer = closest(c, explanation.offers, asked);
    return offer ? decide('counter', offer, null, reasons) : otherwise();
  };
  const noOffer = (reasons: Reason[]) => () =>
    explanation.handoff ? decide('handoff', null, explanation.handoff, reasons) : decide('counter', null, null, reasons);

  if (bucketRules.length) return counterOr(packageAt(c, authority, p), bucketRules, noOffer(bucketRules));

  const needed = LEVELS.find((level) => {
    const pkg = packageAt(c, level, p);
    return limitBreaches(c, level, pkg, price(c, level, pkg)).length === 0;
  });
  if (!needed) {
    const pkg = packageAt(c, 'supervisor', p);
    const asked = price(c, 'supervisor', pkg);
    const reasons = limitBreaches(c, 'supervisor', pkg, asked);
    const offer = closest(c, explanation.offers, pkg);
    return offer && isClose(c, offer, asked)
      ? decide('counter', offer, null, [...reasons, tolerance(c)])
      : decide('reject', null, null, reasons);
  }

  const pkg = packageAt(c, needed, p);
  const asked = price(c, needed, pkg);
  if (affordable(c, asked) === 'no') {
    const reasons = [affordabilityReason(c, asked)];
    return counterOr(pkg, reasons, noOffer(reasons));
  }

  if (levelsUpTo(authority).includes(needed)) {
    // The rank it has on the ladder, if the cardholder asked for exactly a ladder rung.
    const offer: Offer = { ...asked, rank: explanation.offers.find((o) => o.offerId === asked.offerId)?.rank ?? 1 };
    return decide('accept', offer, null, offer.ruleIds.map((ruleId) => ({ code: ruleId.includes(':affordability.') ? 'affordable' : 'within_limit', ruleId })));
  }

  const atAuthority = packageAt(c, authority, p);
  const reasons = limitBreaches(c, authority, atAuthority, price(c, authority, atAuthority));
  const offer = closest(c, explanation.offers, pkg);
  if (offer && p.insist !== true && isClose(c, offer, asked)) return decide('counter', offer, null, [...reasons, tolerance(c)]);
  return decide('handoff', null, escalation(c, 'outOfAuthority', needed, reasons.map((r) => r.ruleId)), reasons);
}
