/**
 * Independent judgement of what the bot did, straight from the policy engine: was every agreement
 * inside the bot's envelope and affordable on what the cardholder said, was every handoff needed,
 * and what would two fixed strategies have recovered from the same people.
 */
import { evaluate, explain } from '../policy/index.js';
import type { Account, Assessment, Offer, Proposal, Policy } from '../policy/index.js';
import { wouldTake } from './cardholder.js';
import type { Persona, Situation } from './personas.js';

export interface Violation {
  code: string;
  detail: string;
}

export function assessmentOf(situation: Situation, asOf: string): Assessment {
  return { asOf, ...situation, expectedDurationMonths: null, signals: [] };
}

/** The request that, put to the policy, should come back accepted as exactly this offer. */
export function proposalFor(offer: Offer): Proposal {
  return {
    months: offer.installment?.months ?? null,
    interestWaiverBps: offer.interestWaiver?.bps ?? null,
    feeWaiverBps: offer.feeWaiver?.bps ?? null,
    settlementAmountMinor: offer.settlement?.amountMinor ?? null,
    deferralDays: offer.deferral?.days ?? null,
  };
}

/**
 * Everything wrong with an agreed offer, judged against the bot's envelope for this account and
 * against what the cardholder stated (`assessment`). An empty list means the agreement is in policy.
 */
export function agreementViolations(policy: Policy, account: Account, assessment: Assessment, offer: Offer): Violation[] {
  const out: Violation[] = [];
  const bad = (code: string, detail: string) => out.push({ code, detail });
  const explanation = explain(policy, account, assessment, { authority: 'bot' });
  const limits = explanation.envelope.limits.bot;
  const { affordability } = explanation.envelope;

  if (offer.authority !== 'bot') bad('authority', `offer needs ${offer.authority}`);
  if (offer.installment) {
    const { months, monthlyPaymentMinor, annualRateBps } = offer.installment;
    if (months > limits.installment.maxMonths) bad('months_above_bot_limit', `${months} > ${limits.installment.maxMonths}`);
    if (months > 1 && monthlyPaymentMinor < limits.installment.minMonthlyPaymentMinor) {
      bad('payment_below_bot_minimum', `${monthlyPaymentMinor} < ${limits.installment.minMonthlyPaymentMinor}`);
    }
    const rate = limits.installment.interestFrozen ? 0 : limits.installment.annualRateBps;
    if (annualRateBps !== rate) bad('plan_rate', `${annualRateBps} ≠ ${rate}`);
  }
  if (offer.interestWaiver && offer.interestWaiver.bps > limits.interestWaiverMaxBps) {
    bad('interest_waiver_above_bot_limit', `${offer.interestWaiver.bps} > ${limits.interestWaiverMaxBps}`);
  }
  if (offer.feeWaiver && offer.feeWaiver.bps > limits.feeWaiverMaxBps) {
    bad('fee_waiver_above_bot_limit', `${offer.feeWaiver.bps} > ${limits.feeWaiverMaxBps}`);
  }
  if (offer.settlement && offer.settlement.discountBps > limits.settlement.maxDiscountBps) {
    bad('settlement_discount_above_bot_limit', `${offer.settlement.discountBps} > ${limits.settlement.maxDiscountBps}`);
  }
  if (offer.deferral && offer.deferral.days > limits.deferralMaxDays) {
    bad('deferral_above_bot_limit', `${offer.deferral.days} > ${limits.deferralMaxDays}`);
  }
  const cap = offer.settlement ? affordability.maxLumpSumMinor : affordability.maxMonthlyPaymentMinor;
  if (cap === null) bad('affordability_unknown', 'agreed without stated income and expenses');
  else if (offer.largestPaymentMinor > cap) bad('unaffordable', `${offer.largestPaymentMinor} > ${cap}`);

  const decision = evaluate(policy, account, assessment, proposalFor(offer), { authority: 'bot' });
  if (decision.outcome !== 'accept') {
    bad('policy_would_not_accept', `${decision.outcome}: ${decision.reasons.map((r) => r.code).join(', ')}`);
  } else if (
    decision.offer!.totalRepayableMinor !== offer.totalRepayableMinor ||
    decision.offer!.largestPaymentMinor !== offer.largestPaymentMinor ||
    decision.offer!.concessionMinor !== offer.concessionMinor
  ) {
    bad('terms_differ_from_policy', `policy prices it at ${decision.offer!.offerId} total ${decision.offer!.totalRepayableMinor}`);
  }
  return out;
}

export type HandoffNeed = 'safety' | 'asked_for_person' | 'policy_handoff' | 'no_affordable_offer' | null;

/**
 * Why a person had to take this case, or null if the bot could have settled it: the persona is
 * vulnerable or asks for a person, or the policy, on the persona's true situation at the bot's
 * authority, hands off or has no offer the persona can take.
 */
export function handoffNeed(policy: Policy, persona: Persona, asOf: string): HandoffNeed {
  if (persona.behaviour.kind === 'vulnerable') return 'safety';
  if (persona.behaviour.kind === 'asks_person') return 'asked_for_person';
  const explanation = explain(policy, persona.account, assessmentOf(persona.truth, asOf), { authority: 'bot' });
  if (explanation.handoff) return 'policy_handoff';
  return explanation.offers.some((o) => wouldTake(persona, o)) ? null : 'no_affordable_offer';
}

export type Strategy = 'bot' | 'max_concession' | 'minimum';

/** The offer a fixed strategy puts to the persona (built on what the persona states), or null. */
export function baselineOffer(policy: Policy, persona: Persona, asOf: string, strategy: Exclude<Strategy, 'bot'>): Offer | null {
  const kind = persona.behaviour.kind;
  // Nobody negotiates with these people: they are handed off (or stop answering) under every strategy.
  if (kind === 'vulnerable' || kind === 'asks_person' || kind === 'goes_silent') return null;
  const { offers, handoff } = explain(policy, persona.account, assessmentOf(persona.stated, asOf), { authority: 'bot' });
  if (handoff || offers.length === 0) return null;
  const offer = strategy === 'minimum' ? offers[0]! : offers[offers.length - 1]!;
  return wouldTake(persona, offer) ? offer : null;
}

/**
 * The least concession that would have closed the deal: the cheapest ladder offer (on what the
 * persona stated) that the persona would take. Null when no offer would do.
 */
export function neededConcession(policy: Policy, persona: Persona, asOf: string): number | null {
  const { offers } = explain(policy, persona.account, assessmentOf(persona.stated, asOf), { authority: 'bot' });
  const taken = offers.filter((o) => wouldTake(persona, o)).map((o) => o.concessionMinor);
  return taken.length ? Math.min(...taken) : null;
}
