/**
 * Boundary objects of the policy engine. Every other module (dialogs, channels, handoff,
 * compliance, simulator) speaks to `policy/` only through these schemas; types come from
 * `z.infer` so there is exactly one definition of each.
 *
 * Money is always an integer number of minor units (分 / cents): field names end in `Minor`.
 * Shares are integer basis points (`Bps`, 10000 = 100%) so no float ever touches an amount.
 */
import { z } from 'zod';

export const Minor = z.number().int().refine(Number.isSafeInteger, 'must be a safe integer');
export const NonNegativeMinor = Minor.refine((n) => n >= 0, 'must be >= 0');
export const Bps = z.number().int().min(0).max(10_000);
export const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be an ISO date YYYY-MM-DD');

export const AuthorityLevel = z.enum(['bot', 'agent', 'supervisor']);
export type AuthorityLevel = z.infer<typeof AuthorityLevel>;

export const HardshipReason = z.enum([
  'job_loss',
  'income_drop',
  'illness',
  'medical_bills',
  'business_failure',
  'family_emergency',
  'disaster',
  'other',
]);
export type HardshipReason = z.infer<typeof HardshipReason>;

/** Facts about the conversation that the policy's handoff triggers are written against. */
export const Signal = z.enum([
  'self_harm',
  'bereavement',
  'serious_illness',
  'mental_health',
  /** Gambling, alcohol or drug addiction behind the debt: a vulnerability, never a negotiation. */
  'addiction',
  'bankruptcy',
  'legal_representation',
  'dispute',
  'fraud_claim',
  'request_human',
  'complaint',
  'wrong_person',
  'third_party',
]);
export type Signal = z.infer<typeof Signal>;

/** What the issuer's system of record says about the card account. */
export const Account = z.object({
  accountId: z.string().min(1),
  currency: z.string().length(3),
  daysPastDue: z.number().int().min(0),
  principalMinor: NonNegativeMinor,
  interestMinor: NonNegativeMinor,
  feesMinor: NonNegativeMinor,
  minimumPaymentMinor: NonNegativeMinor,
});
export type Account = z.infer<typeof Account>;

/** What the conversation has established about the cardholder's situation. */
export const Assessment = z.object({
  /** The day the decision is made, in the policy's timezone: schedules count from here. */
  asOf: IsoDate,
  hardshipReason: HardshipReason.nullable(),
  monthlyIncomeMinor: NonNegativeMinor.nullable(),
  essentialExpensesMinor: NonNegativeMinor.nullable(),
  expectedDurationMonths: z.number().int().min(0).max(120).nullable(),
  signals: z.array(Signal),
});
export type Assessment = z.infer<typeof Assessment>;

/**
 * What the cardholder (or an agent) asks for. Fields are plain integers on purpose: absurd
 * values (-5 months, 10^15) are well-formed requests that the engine answers with `reject`.
 */
export const Proposal = z
  .object({
    months: z.number().int().nullable().optional(),
    monthlyPaymentMinor: Minor.nullable().optional(),
    interestWaiverBps: z.number().int().nullable().optional(),
    feeWaiverBps: z.number().int().nullable().optional(),
    settlementAmountMinor: Minor.nullable().optional(),
    /** "90% off": a settlement asked for as a share of the balance rather than an amount. */
    settlementDiscountBps: z.number().int().nullable().optional(),
    deferralDays: z.number().int().nullable().optional(),
    /** People only (policy `peopleArrangements.tokenPayment`): this much a month for `months`, then a review. */
    tokenPaymentMinor: Minor.nullable().optional(),
    /** People only (policy `peopleArrangements.breathingSpace`): nothing due for this many days, then a review. */
    breathingSpaceDays: z.number().int().nullable().optional(),
    /**
     * The cardholder has refused a counter and keeps asking for this: the engine then hands off to
     * the authority level that can grant it instead of countering again.
     */
    insist: z.boolean().nullable().optional(),
  })
  .strict();
export type Proposal = z.infer<typeof Proposal>;

export const ScheduleLine = z.object({
  n: z.number().int().min(1),
  dueDate: IsoDate,
  amountMinor: NonNegativeMinor,
  principalMinor: NonNegativeMinor,
  interestMinor: NonNegativeMinor,
});
export type ScheduleLine = z.infer<typeof ScheduleLine>;

/** One concrete, fully-computed package the bot (or a human at `authority`) may put forward. */
export const Offer = z.object({
  /** Deterministic id, stable for the same inputs (e.g. "installment-24+fee-100pct"). */
  offerId: z.string(),
  /** 1 = least concession; the negotiation ladder climbs from here. */
  rank: z.number().int().min(1),
  /** The lowest authority level allowed to make this offer. */
  authority: AuthorityLevel,
  installment: z
    .object({
      months: z.number().int().min(1),
      annualRateBps: Bps,
      interestFrozen: z.boolean(),
      monthlyPaymentMinor: NonNegativeMinor,
      firstDueDate: IsoDate,
      schedule: z.array(ScheduleLine),
    })
    .nullable(),
  deferral: z.object({ days: z.number().int().min(1), resumeDate: IsoDate }).nullable(),
  interestWaiver: z.object({ bps: Bps, amountMinor: NonNegativeMinor }).nullable(),
  feeWaiver: z.object({ bps: Bps, amountMinor: NonNegativeMinor }).nullable(),
  settlement: z
    .object({ discountBps: Bps, amountMinor: NonNegativeMinor, payByDate: IsoDate })
    .nullable(),
  /**
   * A people-only holding arrangement (token payment or breathing space): it does not repay the
   * balance — what is left is reviewed by a person on `reviewDate`. Absent from every other offer.
   */
  holding: z
    .object({
      kind: z.enum(['token_payment', 'breathing_space']),
      reviewDate: IsoDate,
      /** Still owed after the arrangement's payments: what the review is about. */
      remainingMinor: NonNegativeMinor,
    })
    .optional(),
  /** Balance the offer starts from: principal + interest + fees. */
  balanceMinor: NonNegativeMinor,
  /** Everything the cardholder pays under this offer. */
  totalRepayableMinor: NonNegativeMinor,
  /** Money the issuer gives up compared with the balance (waivers, discounts); plan interest is not a concession. */
  concessionMinor: NonNegativeMinor,
  /** The largest single payment due under the offer (first schedule line or the settlement). */
  largestPaymentMinor: NonNegativeMinor,
  ruleIds: z.array(z.string()).min(1),
});
export type Offer = z.infer<typeof Offer>;

export const Reason = z.object({
  /** Machine-readable code, e.g. "months_above_bot_limit", "unaffordable", "trigger:self_harm". */
  code: z.string(),
  ruleId: z.string(),
  detail: z.string().optional(),
});
export type Reason = z.infer<typeof Reason>;

/**
 * The unit of the comparison a reason's detail states ("995200 > 497600"), by reason code: money in
 * minor units, shares in basis points (months are plain numbers and need none). The policy writes
 * these details, so it names their units; every reader (the printable record, the consoles) shows
 * them in its own from this one table.
 */
export const REASON_DETAIL_UNITS: Readonly<Record<string, 'minor' | 'bps'>> = {
  payment_below_minimum: 'minor',
  settlement_discount_above_limit: 'minor',
  unaffordable: 'minor',
  token_repays_balance: 'minor',
  interest_waiver_above_limit: 'bps',
  fee_waiver_above_limit: 'bps',
};

export const HandoffUrgency = z.enum(['critical', 'high', 'normal']);

export const Handoff = z.object({
  /** e.g. "vulnerability", "dispute", "request_human", "out_of_authority", "unaffordable". */
  reason: z.string(),
  urgency: HandoffUrgency,
  /** The authority level needed when the handoff is about authority; null for triggers. */
  authorityNeeded: AuthorityLevel.nullable(),
  ruleIds: z.array(z.string()).min(1),
});
export type Handoff = z.infer<typeof Handoff>;

export const Decision = z.object({
  outcome: z.enum(['accept', 'counter', 'handoff', 'reject']),
  /** accept: the accepted offer (computed by the engine); counter: the closest in-policy offer. */
  offer: Offer.nullable(),
  handoff: Handoff.nullable(),
  reasons: z.array(Reason),
  policyId: z.string(),
  policyVersion: z.string(),
});
export type Decision = z.infer<typeof Decision>;

export const EvaluateOptions = z.object({
  /** Whose authority the decision is made under; the bot's unless an agent approves or grants. */
  authority: AuthorityLevel.default('bot'),
  /**
   * A person's affordability override (policy `affordabilityOverride`): the reason code they give.
   * Never valid at bot authority.
   */
  override: z.object({ reasonCode: z.string().min(1) }).strict().optional(),
});
export type EvaluateOptions = z.input<typeof EvaluateOptions>;

/** The concessions a policy can grant. Settlement is a lump sum and never combines with another. */
export const Concession = z.enum(['installment', 'interestWaiver', 'feeWaiver', 'settlement', 'deferral']);
export type Concession = z.infer<typeof Concession>;

/** What one authority level may grant in one bucket (the same shape as in the policy file). */
export const AuthorityLimits = z
  .object({
    installment: z
      .object({
        /** 0 = no plan at this level; 60 is the regulatory hard cap. */
        maxMonths: z.number().int().min(0).max(60),
        minMonthlyPaymentMinor: NonNegativeMinor,
        annualRateBps: Bps,
        /** 停息挂账: no interest accrues on the plan (requires annualRateBps 0). */
        interestFrozen: z.boolean(),
      })
      .strict(),
    interestWaiverMaxBps: Bps,
    feeWaiverMaxBps: Bps,
    settlement: z
      .object({
        maxDiscountBps: z.number().int().min(0).max(9_999),
        payWithinDays: z.number().int().min(1).max(365),
      })
      .strict(),
    deferralMaxDays: z.number().int().min(0).max(365),
  })
  .strict();
export type AuthorityLimits = z.infer<typeof AuthorityLimits>;

export const BucketRef = z.object({
  id: z.string(),
  label: z.string(),
  minDaysPastDue: z.number().int().min(0),
  /** null = open-ended (e.g. charged-off, >180). */
  maxDaysPastDue: z.number().int().min(0).nullable(),
  /** The balance tier whose limits replaced the bucket's own, if any. */
  balanceTier: z.string().nullable(),
});
export type BucketRef = z.infer<typeof BucketRef>;

export const Affordability = z.object({
  /** "unknown" until both income and essential expenses are known: then nothing is offered. */
  status: z.enum(['assessed', 'unknown']),
  disposableMinor: NonNegativeMinor.nullable(),
  /** The largest recurring monthly payment the cardholder can be asked for. */
  maxMonthlyPaymentMinor: NonNegativeMinor.nullable(),
  /** The largest lump sum (settlement) the cardholder can be asked for. */
  maxLumpSumMinor: NonNegativeMinor.nullable(),
});
export type Affordability = z.infer<typeof Affordability>;

/** The limits that apply to this account at each authority level, with the rule-id prefix they come from. */
export const Envelope = z.object({
  bucket: BucketRef,
  /** e.g. "default-cn@2026.2:buckets.M2" (or "...:buckets.M2.balanceTiers.large"). */
  ruleIdPrefix: z.string(),
  limits: z.object({ bot: AuthorityLimits, agent: AuthorityLimits, supervisor: AuthorityLimits }),
  requiresHardshipReason: z.array(Concession),
  combinable: z.array(z.tuple([Concession, Concession])),
  affordability: Affordability,
  balanceMinor: NonNegativeMinor,
});
export type Envelope = z.infer<typeof Envelope>;

export const Explanation = z.object({
  policyId: z.string(),
  policyVersion: z.string(),
  bucket: BucketRef,
  envelope: Envelope,
  /** The negotiation ladder at or below the requested authority, least concession first. */
  offers: z.array(Offer),
  handoff: Handoff.nullable(),
  /** Why rungs are missing (e.g. "affordability_unknown", "hardship_reason_required"). */
  reasons: z.array(Reason),
});
export type Explanation = z.infer<typeof Explanation>;
