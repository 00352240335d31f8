/**
 * explain: what the policy allows for this account — the envelope at every authority level and the
 * ladder of offers the bot may walk a cardholder through — or why a person must take over.
 */
import { caseFacts, LEVELS, ruleId, type CaseFacts } from './envelope.js';
import { parseInput } from './errors.js';
import {
  EvaluateOptions,
  Signal,
  type AuthorityLevel,
  type Envelope,
  type Explanation,
  type Handoff,
  type Offer,
  type Reason,
} from './model.js';
import { ladder } from './offers.js';
import type { Policy } from './schema.js';

const URGENCY_ORDER = ['critical', 'high', 'normal'] as const;

/**
 * The handoff the policy requires for these conversation signals, or null. The most urgent matching
 * trigger gives the reason; every matching trigger is listed in ruleIds.
 */
export function triggeredHandoff(policy: Policy, signals: readonly Signal[]): Handoff | null {
  const matched = Signal.options.filter((s) => signals.includes(s));
  if (matched.length === 0) return null;
  const triggers = matched.map((s) => ({ signal: s, ...policy.handoffTriggers.signals[s] }));
  const first = [...triggers].sort((a, b) => URGENCY_ORDER.indexOf(a.urgency) - URGENCY_ORDER.indexOf(b.urgency))[0]!;
  return {
    reason: first.reason,
    urgency: first.urgency,
    authorityNeeded: null,
    ruleIds: triggers.map((t) => ruleId(policy, `handoffTriggers.signals.${t.signal}`)),
  };
}

export const triggerReasons = (policy: Policy, signals: readonly Signal[]): Reason[] =>
  Signal.options
    .filter((s) => signals.includes(s))
    .map((s) => ({ code: `trigger:${s}`, ruleId: ruleId(policy, `handoffTriggers.signals.${s}`) }));

export function escalation(
  c: CaseFacts,
  kind: 'outOfAuthority' | 'unaffordable',
  authorityNeeded: AuthorityLevel | null,
  ruleIds: string[],
): Handoff {
  const { reason, urgency } = c.policy.handoffTriggers[kind];
  return { reason, urgency, authorityNeeded, ruleIds: [ruleId(c.policy, `handoffTriggers.${kind}`), ...ruleIds] };
}

/**
 * The cardholder has turned down every offer the bot may make at `authority`: what is left needs a
 * person (out of authority), citing the trigger and the bucket's limits at that level.
 */
export function ladderExhausted(policy: Policy, envelope: Envelope, authority: AuthorityLevel): Handoff {
  const { reason, urgency } = policy.handoffTriggers.outOfAuthority;
  return { reason, urgency, authorityNeeded: 'agent', ruleIds: [ruleId(policy, 'handoffTriggers.outOfAuthority'), `${envelope.ruleIdPrefix}.${authority}`] };
}

/**
 * When the ladder has no plan the cardholder can afford: a higher authority level if one has an
 * affordable plan, otherwise an "unaffordable" handoff — the bot never pushes an unaffordable plan.
 */
export function noPlanHandoff(c: CaseFacts, authority: AuthorityLevel): Handoff {
  const higher = LEVELS.slice(LEVELS.indexOf(authority) + 1).find((level) =>
    ladder(c, level).some((o) => o.installment !== null),
  );
  const affordabilityRule = ruleId(c.policy, 'affordability.maxShareOfDisposableBps');
  return higher
    ? escalation(c, 'outOfAuthority', higher, [c.rule(`${authority}.installment.maxMonths`), affordabilityRule])
    : escalation(c, 'unaffordable', null, [affordabilityRule]);
}

export function explainFacts(c: CaseFacts, authority: AuthorityLevel): Explanation {
  const base = {
    policyId: c.policy.id,
    policyVersion: c.policy.version,
    bucket: c.envelope.bucket,
    envelope: c.envelope,
  };
  const trigger = triggeredHandoff(c.policy, c.assessment.signals);
  if (trigger) return { ...base, offers: [], handoff: trigger, reasons: triggerReasons(c.policy, c.assessment.signals) };

  const offers: Offer[] = ladder(c, authority);
  const reasons: Reason[] = [];
  if (c.envelope.affordability.status === 'unknown') {
    reasons.push({
      code: 'affordability_unknown',
      ruleId: ruleId(c.policy, 'affordability.maxShareOfDisposableBps'),
      detail: 'monthly income and essential expenses are needed before any offer',
    });
  }
  if (c.assessment.hardshipReason === null && c.envelope.requiresHardshipReason.length > 0) {
    reasons.push({
      code: 'hardship_reason_required',
      ruleId: c.bucketRule('requiresHardshipReason'),
      detail: c.envelope.requiresHardshipReason.join(','),
    });
  }
  const noPlan = c.envelope.affordability.status === 'assessed' && !offers.some((o) => o.installment !== null);
  return { ...base, offers, handoff: noPlan ? noPlanHandoff(c, authority) : null, reasons };
}

/**
 * The envelope for this account at every authority level, and the ranked offers at or below
 * `opts.authority` (default bot). Inputs are validated; a bad one throws an InputError.
 */
export function explain(policy: Policy, account: unknown, assessment: unknown, opts?: EvaluateOptions): Explanation {
  const { authority } = parseInput(EvaluateOptions, opts ?? {}, 'options');
  return explainFacts(caseFacts(policy, account, assessment), authority);
}
