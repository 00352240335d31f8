/**
 * Which limits apply to this account: its delinquency bucket (and balance tier), at each authority
 * level, plus what the cardholder can afford. Everything later is decided against this.
 */
import { Account, Assessment, AuthorityLevel, type Affordability, type AuthorityLimits, type BucketRef, type Envelope } from './model.js';
import { bpsOf, mulDiv } from './money.js';
import type { Policy } from './schema.js';
import { parseInput } from './errors.js';
import { isRealDate } from './dates.js';
import { z } from 'zod';

export const LEVELS = AuthorityLevel.options;

export const levelsUpTo = (authority: AuthorityLevel): AuthorityLevel[] =>
  LEVELS.slice(0, LEVELS.indexOf(authority) + 1);

/** "default-cn@2026.2:<path>" — the path is where the rule lives in the policy file. */
/** `default-cn@2026.2`: a policy and its version, as every rule id, arrangement and variant cites it. */
export const policyRef = (policy: Pick<Policy, 'id' | 'version'>): string => `${policy.id}@${policy.version}`;

/** The one format of a rule id: `default-cn@2026.2:buckets.M2.bot.installment.maxMonths`. */
export const ruleId = (policy: Policy, path: string): string => `${policyRef(policy)}:${path}`;

/** Everything a decision about one account needs, computed once. */
export interface CaseFacts {
  policy: Policy;
  account: Account;
  assessment: Assessment;
  envelope: Envelope;
  /** A rule id under the limits in force (the bucket, or its balance tier). */
  rule: (path: string) => string;
  /** A rule id under the bucket itself (hardship-reason and combination rules live there). */
  bucketRule: (path: string) => string;
}

export const balanceOf = (a: Account): number => a.principalMinor + a.interestMinor + a.feesMinor;

/** The id of the delinquency bucket an account is in (M1, M2…); champion/challenger shares are set per bucket. */
export function bucketIdOf(policy: Policy, daysPastDue: number): string {
  const found = Object.entries(policy.buckets).find(
    ([, b]) => daysPastDue >= b.minDaysPastDue && (b.maxDaysPastDue === null || daysPastDue <= b.maxDaysPastDue),
  );
  // A validated policy starts at 0 and ends open-ended, so every account has a bucket.
  if (!found) throw new Error(`no bucket for ${String(daysPastDue)} days past due`);
  return found[0];
}

function bucketOf(policy: Policy, account: Account): { ref: BucketRef; path: string; limits: Record<AuthorityLevel, AuthorityLimits>; id: string } {
  const id = bucketIdOf(policy, account.daysPastDue);
  const bucket = policy.buckets[id]!;
  const balance = balanceOf(account);
  const tier = Object.entries(bucket.balanceTiers ?? {})
    .filter(([, t]) => balance >= t.minBalanceMinor)
    .sort(([, a], [, b]) => b.minBalanceMinor - a.minBalanceMinor)[0];
  const source = tier ? tier[1] : bucket;
  return {
    id,
    ref: {
      id,
      label: tier ? `${bucket.label} / ${tier[1].label}` : bucket.label,
      minDaysPastDue: bucket.minDaysPastDue,
      maxDaysPastDue: bucket.maxDaysPastDue,
      balanceTier: tier ? tier[0] : null,
    },
    path: tier ? `buckets.${id}.balanceTiers.${tier[0]}` : `buckets.${id}`,
    limits: { bot: source.bot, agent: source.agent, supervisor: source.supervisor },
  };
}

function affordabilityOf(policy: Policy, assessment: Assessment): Affordability {
  const { monthlyIncomeMinor: income, essentialExpensesMinor: expenses } = assessment;
  if (income === null || expenses === null) {
    return { status: 'unknown', disposableMinor: null, maxMonthlyPaymentMinor: null, maxLumpSumMinor: null };
  }
  const disposable = Math.max(0, income - expenses);
  return {
    status: 'assessed',
    disposableMinor: disposable,
    maxMonthlyPaymentMinor: bpsOf(disposable, policy.affordability.maxShareOfDisposableBps),
    maxLumpSumMinor: mulDiv(disposable, policy.affordability.lumpSumMaxMonthsOfDisposable, 1, 'floor'),
  };
}

const EngineAssessment = Assessment.refine((a) => isRealDate(a.asOf), { path: ['asOf'], message: 'is not a calendar date' });

export function caseFacts(policy: Policy, accountInput: unknown, assessmentInput: unknown): CaseFacts {
  const account = parseInput(Account, accountInput, 'account');
  const assessment = parseInput(EngineAssessment, assessmentInput, 'assessment');
  parseInput(
    z.literal(policy.currency, { error: `must be ${policy.currency}, the policy's currency` }),
    account.currency,
    'account.currency',
  );
  const bucket = bucketOf(policy, account);
  const source = policy.buckets[bucket.id]!;
  const envelope: Envelope = {
    bucket: bucket.ref,
    ruleIdPrefix: ruleId(policy, bucket.path),
    limits: bucket.limits,
    requiresHardshipReason: source.requiresHardshipReason,
    combinable: source.combinable,
    affordability: affordabilityOf(policy, assessment),
    balanceMinor: balanceOf(account),
  };
  return {
    policy,
    account,
    assessment,
    envelope,
    rule: (path) => `${envelope.ruleIdPrefix}.${path}`,
    bucketRule: (path) => ruleId(policy, `buckets.${bucket.id}.${path}`),
  };
}

/**
 * The case as a person sees it under an affordability override: the monthly payment may take the
 * override's share of disposable income at their level instead of the standard share. Pure; the
 * caller has checked that the override is allowed (`overrideRefusal`).
 */
export function withAffordabilityOverride(c: CaseFacts, level: 'agent' | 'supervisor'): CaseFacts {
  const a = c.envelope.affordability;
  const share = c.policy.affordabilityOverride?.maxShareOfDisposableBps[level];
  if (a.status !== 'assessed' || share === undefined) return c;
  return { ...c, envelope: { ...c.envelope, affordability: { ...a, maxMonthlyPaymentMinor: bpsOf(a.disposableMinor!, share) } } };
}
