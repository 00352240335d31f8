/**
 * The policy file: data a risk team owns. Everything here is validated at load time, including the
 * cross-field rules a reader would otherwise have to trust (contiguous buckets, bot ≤ agent ≤
 * supervisor), so the engine can assume a coherent policy.
 */
import { z } from 'zod';
import { AuthorityLevel, AuthorityLimits, Bps, Concession, HandoffUrgency, NonNegativeMinor, Signal } from './model.js';
import { BreachRules, DEFAULT_BREACH, DEFAULT_REMINDERS, ReminderRules } from './ledger.js';

/** Ids become segments of rule ids (`buckets.M2.bot...`), so they may not contain dots. */
const Key = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'must be letters, digits, _ or - (it is part of rule ids)');

const Timezone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as Asia/Shanghai');

const LocalTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24h)');

/** Settlement is a lump sum: it never combines, so it is not listed here. */
const Combinable = z.enum(['installment', 'interestWaiver', 'feeWaiver', 'deferral']);

const Levels = z
  .object({ bot: AuthorityLimits, agent: AuthorityLimits, supervisor: AuthorityLimits })
  .strict();

export const BalanceTier = Levels.extend({
  label: z.string().min(1),
  /** The tier applies when principal + interest + fees is at least this. */
  minBalanceMinor: NonNegativeMinor,
}).strict();
export type BalanceTier = z.infer<typeof BalanceTier>;

export const Bucket = Levels.extend({
  label: z.string().min(1),
  minDaysPastDue: z.number().int().min(0),
  /** null: open-ended, only for the last bucket. */
  maxDaysPastDue: z.number().int().min(0).nullable(),
  requiresHardshipReason: z.array(Concession).default([]),
  combinable: z.array(z.tuple([Combinable, Combinable])).default([]),
  balanceTiers: z.record(Key, BalanceTier).optional(),
}).strict();
export type Bucket = z.infer<typeof Bucket>;

/** A text the issuer writes itself, in each language the bot speaks. */
const IssuerText = z.object({ 'zh-CN': z.string().min(1).max(600), 'zh-TW': z.string().min(1).max(600), en: z.string().min(1).max(600) }).strict();

const Escalation = z.object({ reason: z.string().min(1), urgency: HandoffUrgency }).strict();

export const PolicyShape = z
  .object({
    id: Key,
    version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, ".", "_" or "-"'),
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as CNY'),
    timezone: Timezone,
    buckets: z.record(Key, Bucket).refine((b) => Object.keys(b).length > 0, 'at least one bucket is required'),
    affordability: z
      .object({
        /** Share of disposable income (income − essential expenses) a monthly payment may take. */
        maxShareOfDisposableBps: Bps,
        /** A lump sum (settlement) may be at most this many months of disposable income. */
        lumpSumMaxMonthsOfDisposable: z.number().int().min(0).max(120),
      })
      .strict(),
    /**
     * For people only, never the bot: when no plan is affordable at the standard share, an agent
     * or supervisor may let the monthly payment take up to this share of disposable income, naming
     * one of these reason codes. Absent: no override exists.
     */
    affordabilityOverride: z
      .object({
        reasonCodes: z.array(Key).min(1),
        maxShareOfDisposableBps: z.object({ agent: Bps, supervisor: Bps }).strict(),
      })
      .strict()
      .optional(),
    /**
     * For people only, never the bot: bounded holding arrangements for the hard cases no plan fits
     * (everything unaffordable even with the override). Each ends in a review by a person; limits are
     * per authority level. Absent: none exists.
     */
    peopleArrangements: z
      .object({
        /** A small fixed monthly payment for a few months, interest and fees frozen, then a review. */
        tokenPayment: z
          .object({
            minMonthlyPaymentMinor: NonNegativeMinor,
            /** The token must still be affordable: at most this share of disposable income. */
            maxShareOfDisposableBps: Bps,
            maxMonths: z.object({ agent: z.number().int().min(0).max(12), supervisor: z.number().int().min(0).max(12) }).strict(),
          })
          .strict()
          .optional(),
        /** Nothing due for a number of days, interest and fees frozen, then a review. */
        breathingSpace: z
          .object({ maxDays: z.object({ agent: z.number().int().min(0).max(180), supervisor: z.number().int().min(0).max(180) }).strict() })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    negotiation: z
      .object({
        /**
         * When a request needs more authority, counter instead of handing off if an in-authority
         * offer's largest payment is at most this much above the asked one.
         */
        counterToleranceBps: Bps,
      })
      .strict(),
    handoffTriggers: z
      .object({
        /** Every signal must be mapped: a vulnerability can never be left out by omission. */
        signals: z.record(Signal, Escalation),
        outOfAuthority: Escalation,
        unaffordable: Escalation,
      })
      .strict(),
    contact: z
      .object({
        allowedHours: z
          .object({ start: LocalTime, end: LocalTime })
          .strict()
          .default({ start: '08:00', end: '21:00' }),
        maxBotContactsPer7Days: z.number().int().min(0).max(21),
        stopContactOnRequest: z.literal(true),
      })
      .strict(),
    /** After the agreement: what a missed instalment leads to (optional; defaults are conservative). */
    breach: BreachRules.default(DEFAULT_BREACH),
    /** After the agreement: reminders and checks the bot schedules, each through the contact gate. */
    reminders: ReminderRules.default(DEFAULT_REMINDERS),
    /**
     * The issuer's own words for questions only it can answer, per language (optional). Without
     * `creditReport` the bot says a person will explain the issuer's credit-reporting practice.
     */
    answers: z
      .object({ creditReport: IssuerText.nullable().default(null) })
      .strict()
      .default({ creditReport: null }),
  })
  .strict();

/** How each limit grows with authority: "up" = a larger value is more generous. */
export const GENEROSITY: ReadonlyArray<{ path: string; more: 'up' | 'down'; get: (l: AuthorityLimits) => number }> = [
  { path: 'installment.maxMonths', more: 'up', get: (l) => l.installment.maxMonths },
  { path: 'installment.minMonthlyPaymentMinor', more: 'down', get: (l) => l.installment.minMonthlyPaymentMinor },
  { path: 'installment.annualRateBps', more: 'down', get: (l) => l.installment.annualRateBps },
  { path: 'installment.interestFrozen', more: 'up', get: (l) => Number(l.installment.interestFrozen) },
  { path: 'interestWaiverMaxBps', more: 'up', get: (l) => l.interestWaiverMaxBps },
  { path: 'feeWaiverMaxBps', more: 'up', get: (l) => l.feeWaiverMaxBps },
  { path: 'settlement.maxDiscountBps', more: 'up', get: (l) => l.settlement.maxDiscountBps },
  { path: 'settlement.payWithinDays', more: 'up', get: (l) => l.settlement.payWithinDays },
  { path: 'deferralMaxDays', more: 'up', get: (l) => l.deferralMaxDays },
];

const LEVELS = AuthorityLevel.options;

function checkLevels(levels: z.infer<typeof Levels>, at: (string | number)[], ctx: z.RefinementCtx): void {
  for (const level of LEVELS) {
    const { installment } = levels[level];
    if (installment.interestFrozen && installment.annualRateBps !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: [...at, level, 'installment', 'annualRateBps'],
        message: 'must be 0 when interestFrozen (停息挂账) is true',
      });
    }
  }
  for (let i = 1; i < LEVELS.length; i++) {
    const lower = LEVELS[i - 1]!;
    const higher = LEVELS[i]!;
    for (const g of GENEROSITY) {
      const a = g.get(levels[lower]);
      const b = g.get(levels[higher]);
      if (g.more === 'up' ? b < a : b > a) {
        ctx.addIssue({
          code: 'custom',
          path: [...at, higher, ...g.path.split('.')],
          message: `${higher} must be at least as generous as ${lower} (${String(b)} vs ${String(a)})`,
        });
      }
    }
  }
}

export const Policy = PolicyShape.superRefine((policy, ctx) => {
  const override = policy.affordabilityOverride;
  if (override) {
    const { agent, supervisor } = override.maxShareOfDisposableBps;
    if (agent < policy.affordability.maxShareOfDisposableBps) {
      ctx.addIssue({ code: 'custom', path: ['affordabilityOverride', 'maxShareOfDisposableBps', 'agent'], message: 'must be at least affordability.maxShareOfDisposableBps (an override only widens)' });
    }
    if (supervisor < agent) {
      ctx.addIssue({ code: 'custom', path: ['affordabilityOverride', 'maxShareOfDisposableBps', 'supervisor'], message: `supervisor must be at least as generous as agent (${String(supervisor)} vs ${String(agent)})` });
    }
  }
  const people = policy.peopleArrangements;
  const atLeastAgent = (path: string[], agent: number, supervisor: number) => {
    if (supervisor < agent) ctx.addIssue({ code: 'custom', path, message: `supervisor must be at least as generous as agent (${String(supervisor)} vs ${String(agent)})` });
  };
  if (people?.tokenPayment) {
    const { agent, supervisor } = people.tokenPayment.maxMonths;
    atLeastAgent(['peopleArrangements', 'tokenPayment', 'maxMonths', 'supervisor'], agent, supervisor);
    if (people.tokenPayment.maxShareOfDisposableBps > policy.affordability.maxShareOfDisposableBps) {
      ctx.addIssue({ code: 'custom', path: ['peopleArrangements', 'tokenPayment', 'maxShareOfDisposableBps'], message: 'must be at most affordability.maxShareOfDisposableBps (a token is never less affordable than a plan)' });
    }
  }
  if (people?.breathingSpace) {
    const { agent, supervisor } = people.breathingSpace.maxDays;
    atLeastAgent(['peopleArrangements', 'breathingSpace', 'maxDays', 'supervisor'], agent, supervisor);
  }
  const buckets = Object.entries(policy.buckets).sort(([, a], [, b]) => a.minDaysPastDue - b.minDaysPastDue);
  let expectedMin = 0;
  buckets.forEach(([id, bucket], i) => {
    const last = i === buckets.length - 1;
    if (bucket.minDaysPastDue !== expectedMin) {
      ctx.addIssue({
        code: 'custom',
        path: ['buckets', id, 'minDaysPastDue'],
        message: `must be ${String(expectedMin)} so buckets have no gap or overlap`,
      });
    }
    if (bucket.maxDaysPastDue === null && !last) {
      ctx.addIssue({ code: 'custom', path: ['buckets', id, 'maxDaysPastDue'], message: 'only the last bucket may be open-ended' });
    }
    if (bucket.maxDaysPastDue !== null && last) {
      ctx.addIssue({ code: 'custom', path: ['buckets', id, 'maxDaysPastDue'], message: 'the last bucket must be open-ended (null)' });
    }
    if (bucket.maxDaysPastDue !== null && bucket.maxDaysPastDue < bucket.minDaysPastDue) {
      ctx.addIssue({ code: 'custom', path: ['buckets', id, 'maxDaysPastDue'], message: 'must be >= minDaysPastDue' });
    }
    expectedMin = (bucket.maxDaysPastDue ?? expectedMin) + 1;
    checkLevels(bucket, ['buckets', id], ctx);
    const tiers = Object.entries(bucket.balanceTiers ?? {});
    const mins = new Set<number>();
    for (const [tierId, tier] of tiers) {
      if (mins.has(tier.minBalanceMinor)) {
        ctx.addIssue({
          code: 'custom',
          path: ['buckets', id, 'balanceTiers', tierId, 'minBalanceMinor'],
          message: 'two tiers start at the same balance',
        });
      }
      mins.add(tier.minBalanceMinor);
      checkLevels(tier, ['buckets', id, 'balanceTiers', tierId], ctx);
    }
  });
});
export type Policy = z.infer<typeof Policy>;

/** The policy file format as JSON Schema, for editors and for risk teams' own tooling. */
export function policyJsonSchema(): unknown {
  return z.toJSONSchema(PolicyShape, { io: 'input', target: 'draft-2020-12' });
}
