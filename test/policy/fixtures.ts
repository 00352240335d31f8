/** A small, hand-checkable policy and account for the policy tests (0 % plans so sums are easy). */
import { Policy, type Account, type Assessment, type AuthorityLimits } from '../../policy/index.js';

export function limits(over: Partial<AuthorityLimits> & { months?: number; minPay?: number; rate?: number; frozen?: boolean } = {}): AuthorityLimits {
  const { months = 12, minPay = 10_000, rate = 0, frozen = false, ...rest } = over;
  return {
    installment: { maxMonths: months, minMonthlyPaymentMinor: minPay, annualRateBps: rate, interestFrozen: frozen },
    interestWaiverMaxBps: 0,
    feeWaiverMaxBps: 5_000,
    settlement: { maxDiscountBps: 0, payWithinDays: 30 },
    deferralMaxDays: 30,
    ...rest,
  };
}

const levels = () => ({
  bot: limits(),
  agent: limits({ months: 24, minPay: 5_000, interestWaiverMaxBps: 5_000, feeWaiverMaxBps: 10_000, settlement: { maxDiscountBps: 1_000, payWithinDays: 30 }, deferralMaxDays: 60 }),
  supervisor: limits({
    months: 60,
    minPay: 1_000,
    frozen: true,
    interestWaiverMaxBps: 10_000,
    feeWaiverMaxBps: 10_000,
    settlement: { maxDiscountBps: 3_000, payWithinDays: 60 },
    deferralMaxDays: 90,
  }),
});

const ALL_PAIRS = [
  ['installment', 'feeWaiver'],
  ['installment', 'interestWaiver'],
  ['feeWaiver', 'interestWaiver'],
  ['deferral', 'installment'],
];

export const SIGNAL_TRIGGERS = {
  self_harm: { reason: 'vulnerability', urgency: 'critical' },
  mental_health: { reason: 'vulnerability', urgency: 'critical' },
  addiction: { reason: 'vulnerability', urgency: 'high' },
  bereavement: { reason: 'vulnerability', urgency: 'high' },
  serious_illness: { reason: 'vulnerability', urgency: 'high' },
  bankruptcy: { reason: 'bankruptcy', urgency: 'high' },
  legal_representation: { reason: 'legal_representation', urgency: 'high' },
  dispute: { reason: 'dispute', urgency: 'normal' },
  fraud_claim: { reason: 'fraud_claim', urgency: 'high' },
  request_human: { reason: 'request_human', urgency: 'normal' },
  complaint: { reason: 'complaint', urgency: 'high' },
  wrong_person: { reason: 'wrong_person', urgency: 'high' },
  third_party: { reason: 'third_party', urgency: 'normal' },
} as const;

/** The raw policy document (what a YAML file would hold), for tests that break it on purpose. */
export function policyDoc(): Record<string, unknown> {
  const bucket = (label: string, min: number, max: number | null) => ({
    label,
    minDaysPastDue: min,
    maxDaysPastDue: max,
    requiresHardshipReason: ['interestWaiver', 'settlement'],
    combinable: ALL_PAIRS,
    ...levels(),
  });
  return structuredClone({
    id: 'test',
    version: '1',
    currency: 'CNY',
    timezone: 'Asia/Shanghai',
    buckets: {
      M1: bucket('M1', 0, 30),
      M2: bucket('M2', 31, 60),
      M3: bucket('M3', 61, 90),
      M4_6: bucket('M4-M6', 91, 180),
      CO: bucket('charged off', 181, null),
    },
    affordability: { maxShareOfDisposableBps: 5_000, lumpSumMaxMonthsOfDisposable: 6 },
    negotiation: { counterToleranceBps: 2_000 },
    handoffTriggers: {
      signals: SIGNAL_TRIGGERS,
      outOfAuthority: { reason: 'out_of_authority', urgency: 'normal' },
      unaffordable: { reason: 'unaffordable', urgency: 'high' },
    },
    contact: { maxBotContactsPer7Days: 3, stopContactOnRequest: true },
  });
}

export const testPolicy = (): Policy => Policy.parse(policyDoc());

/** Balance 1 070 000 (10 700.00): principal 1 000 000, interest 50 000, fees 20 000. */
export function account(over: Partial<Account> = {}): Account {
  return {
    accountId: 'acc-1',
    currency: 'CNY',
    daysPastDue: 45,
    principalMinor: 1_000_000,
    interestMinor: 50_000,
    feesMinor: 20_000,
    minimumPaymentMinor: 100_000,
    ...over,
  };
}

/** Disposable 200 000, so plan payments up to 100 000 and lump sums up to 1 200 000 are affordable. */
export function assessment(over: Partial<Assessment> = {}): Assessment {
  return {
    asOf: '2026-01-31',
    hardshipReason: 'job_loss',
    monthlyIncomeMinor: 500_000,
    essentialExpensesMinor: 300_000,
    expectedDurationMonths: 6,
    signals: [],
    ...over,
  };
}
