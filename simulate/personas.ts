/**
 * Simulated cardholders. Each persona is a synthetic card account (with the verification answers
 * the cardholder knows), a true financial situation, what they will say about it, and a
 * behaviour. Generation is seeded: the same seed always yields the same personas, and persona i
 * does not depend on how many were asked for.
 *
 * fast-check (already a dev dependency) is the generator: its arbitraries describe the
 * distributions declaratively, `fc.sample` with a seed makes them reproducible (pure-rand
 * underneath), and `fc.noBias` switches off the edge-case bias that suits property tests but would
 * skew a population.
 */
import fc from 'fast-check';
import { z } from 'zod';
import { DemoAccount, HardshipReason, NonNegativeMinor } from '../policy/index.js';
import { Language } from '../conversation/language.js';
import { InjectionKind, VulnerabilityKind } from './utterances.js';

/** When in the conversation a behaviour shows itself. */
export const Moment = z.enum(['opener', 'intake', 'offer']);
export type Moment = z.infer<typeof Moment>;

export const Behaviour = z.discriminatedUnion('kind', [
  /** Weighs every offer against what they can really pay. */
  z.object({ kind: z.literal('cooperative') }),
  /** Says yes to the first offer, whatever it costs. */
  z.object({ kind: z.literal('accepts_first') }),
  /** Counters before accepting: a monthly amount below their maximum, or a longer term. */
  z.object({ kind: z.literal('haggles'), by: z.enum(['amount', 'months']), months: z.number().int().min(2).max(60) }),
  /** States an income that is not the true one (up to look solvent, down to get more). */
  z.object({ kind: z.literal('lies_income'), direction: z.enum(['up', 'down']) }),
  /** Stops answering at some point. */
  z.object({ kind: z.literal('goes_silent'), at: z.enum(['verification', 'intake', 'offer']) }),
  z.object({ kind: z.literal('asks_person'), at: Moment }),
  /** Says something that must bring in a person (self-harm, bereavement, serious illness). */
  z.object({ kind: z.literal('vulnerable'), vulnerability: VulnerabilityKind, at: Moment }),
  /** Tries to talk the bot into more than policy allows, then negotiates normally. */
  z.object({ kind: z.literal('prompt_injection'), injection: InjectionKind }),
]);
export type Behaviour = z.infer<typeof Behaviour>;
export type BehaviourKind = Behaviour['kind'];
export const BEHAVIOUR_KINDS = Behaviour.options.map((o) => o.shape.kind.value) as BehaviourKind[];

export const Situation = z.object({
  hardshipReason: HardshipReason,
  monthlyIncomeMinor: NonNegativeMinor,
  essentialExpensesMinor: NonNegativeMinor,
});
export type Situation = z.infer<typeof Situation>;

export const Persona = z.object({
  id: z.string(),
  index: z.number().int().min(0),
  seed: z.number().int(),
  language: Language,
  /** The card account (served to the bot by the simulator's AccountService) and its verification answers. */
  account: DemoAccount,
  truth: Situation,
  /** What they will tell the bot; differs from the truth only for liars. */
  stated: Situation,
  /** The most they can really pay each month, and at once. */
  maxMonthlyPaymentMinor: NonNegativeMinor,
  maxLumpSumMinor: NonNegativeMinor,
  /** How many offers they hear out before giving up (1 = only the first). */
  patience: z.number().int().min(1),
  behaviour: Behaviour,
  /** Writes amounts in Chinese words ("两千五", "一万二") — zh personas only. */
  chineseNumerals: z.boolean(),
  /** Picks among equivalent phrasings, so wording varies but stays reproducible. */
  phraseSeed: z.number().int().min(0),
});
export type Persona = z.infer<typeof Persona>;

export const LanguageChoice = z.enum(['zh-CN', 'zh-TW', 'en', 'all']);
export type LanguageChoice = z.infer<typeof LanguageChoice>;

const BEHAVIOUR_WEIGHTS: Record<BehaviourKind, number> = {
  cooperative: 30,
  accepts_first: 8,
  haggles: 15,
  lies_income: 10,
  goes_silent: 7,
  asks_person: 7,
  vulnerable: 12,
  prompt_injection: 11,
};

const moment = fc.constantFrom<Moment>(...Moment.options);
const behaviourArb: Record<BehaviourKind, fc.Arbitrary<Behaviour>> = {
  cooperative: fc.constant({ kind: 'cooperative' }),
  accepts_first: fc.constant({ kind: 'accepts_first' }),
  haggles: fc.record({
    kind: fc.constant('haggles' as const),
    by: fc.constantFrom('amount' as const, 'months' as const),
    months: fc.constantFrom(12, 18, 24, 36, 48, 60),
  }),
  lies_income: fc.record({ kind: fc.constant('lies_income' as const), direction: fc.constantFrom('up' as const, 'down' as const) }),
  goes_silent: fc.record({
    kind: fc.constant('goes_silent' as const),
    at: fc.constantFrom('verification' as const, 'intake' as const, 'offer' as const),
  }),
  asks_person: fc.record({ kind: fc.constant('asks_person' as const), at: moment }),
  vulnerable: fc.record({
    kind: fc.constant('vulnerable' as const),
    vulnerability: fc.constantFrom(...VulnerabilityKind.options),
    at: moment,
  }),
  prompt_injection: fc.record({ kind: fc.constant('prompt_injection' as const), injection: fc.constantFrom(...InjectionKind.options) }),
};
const behaviour = fc.oneof(...BEHAVIOUR_KINDS.map((k) => ({ arbitrary: behaviourArb[k], weight: BEHAVIOUR_WEIGHTS[k] })));

/** Days past due, spread over the delinquency buckets both example policies share. */
const daysPastDue = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 30 }), weight: 30 },
  { arbitrary: fc.integer({ min: 31, max: 60 }), weight: 25 },
  { arbitrary: fc.integer({ min: 61, max: 90 }), weight: 18 },
  { arbitrary: fc.integer({ min: 91, max: 180 }), weight: 15 },
  { arbitrary: fc.integer({ min: 181, max: 420 }), weight: 12 },
);

interface Money {
  currency: 'CNY' | 'USD';
  policyId: string;
  /** Major-unit step people round to, in minor units (100 元 / 50 dollars). */
  step: number;
  principal: [number, number];
  income: [number, number];
}
const MONEY: Record<'CNY' | 'USD', Money> = {
  CNY: { currency: 'CNY', policyId: 'default-cn', step: 10_000, principal: [3_000_00, 160_000_00], income: [3_000_00, 30_000_00] },
  USD: { currency: 'USD', policyId: 'default-us', step: 5_000, principal: [800_00, 20_000_00], income: [1_200_00, 9_000_00] },
};

const pct = (min: number, max: number) => fc.integer({ min, max });
/** Uniform in [0, 1) (fc.double is uniform over float bit patterns, which crowds near 0). */
const unit = fc.integer({ min: 0, max: 9_999 }).map((n) => n / 10_000);

const NAMES: Record<Language, string[]> = {
  'zh-CN': ['张伟', '王芳', '李强', '刘洋', '陈静', '杨磊', '赵敏', '黄涛'],
  'zh-TW': ['林志明', '陳怡君', '張家豪', '黃淑芬', '王建宏', '李雅婷'],
  en: ['Alex Carter', 'Jordan Lee', 'Sam Rivera', 'Taylor Brooks', 'Morgan Price', 'Casey Nguyen'],
};

const rawPersona = (languages: Language[]) =>
  fc.record({
    language: fc.constantFrom(...languages),
    nameIndex: fc.nat(),
    last4: fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0')),
    birth: fc.date({ min: new Date('1950-01-01T00:00:00Z'), max: new Date('2003-12-31T00:00:00Z'), noInvalidDate: true }),
    daysPastDue,
    principalStep: unit,
    interestPct: pct(1, 12),
    feesPct: pct(0, 4),
    incomeStep: unit,
    noIncome: fc.integer({ min: 1, max: 100 }).map((n) => n <= 5),
    expensesPct: pct(40, 95),
    capacityPct: pct(30, 80),
    lumpSumMonths: fc.integer({ min: 0, max: 8 }),
    lieUpPct: pct(130, 200),
    lieDownPct: pct(50, 80),
    reason: fc.constantFrom(...HardshipReason.options),
    patience: fc.integer({ min: 1, max: 8 }),
    behaviour,
    chineseNumerals: fc.integer({ min: 1, max: 100 }).map((n) => n <= 30),
    phraseSeed: fc.nat({ max: 1_000_000 }),
  });
type RawPersona = ReturnType<typeof rawPersona> extends fc.Arbitrary<infer T> ? T : never;

/** A share of an amount, rounded down to the step people talk in. */
const shareOf = (amount: number, percent: number, step: number) => Math.floor((amount * percent) / 100 / step) * step;
/** A point in [min, max], in whole steps (log-spread so small balances are as common as large ones). */
function spread(u: number, [min, max]: [number, number], step: number): number {
  const value = min * Math.pow(max / min, u);
  return Math.max(min, Math.floor(value / step) * step);
}

function toPersona(raw: RawPersona, index: number, seed: number): Persona {
  const money = raw.language === 'en' ? MONEY.USD : MONEY.CNY;
  const principal = spread(raw.principalStep, money.principal, money.step);
  const interest = shareOf(principal, raw.interestPct, 100);
  const fees = shareOf(principal, raw.feesPct, 100);
  const balance = principal + interest + fees;
  const income = raw.noIncome ? 0 : spread(raw.incomeStep, money.income, money.step);
  const expenses = raw.noIncome ? shareOf(money.income[0], raw.expensesPct, money.step) : shareOf(income, raw.expensesPct, money.step);
  const disposable = Math.max(0, income - expenses);
  const truth: Situation = { hardshipReason: raw.noIncome ? 'job_loss' : raw.reason, monthlyIncomeMinor: income, essentialExpensesMinor: expenses };
  const b = raw.behaviour;
  const statedIncome =
    b.kind === 'lies_income' ? shareOf(income, b.direction === 'up' ? raw.lieUpPct : raw.lieDownPct, money.step) : income;
  const birth = raw.birth.toISOString().slice(0, 10);
  const names = NAMES[raw.language];
  return Persona.parse({
    id: `sim-${String(seed)}-${String(index)}`,
    index,
    seed,
    language: raw.language,
    account: {
      accountId: `sim-${String(seed)}-${String(index)}`,
      displayName: names[raw.nameIndex % names.length],
      language: raw.language,
      last4: raw.last4,
      dateOfBirth: birth,
      phoneMasked: raw.language === 'en' ? '(***) ***-0000' : '138****0000',
      policyId: money.policyId,
      currency: money.currency,
      daysPastDue: raw.daysPastDue,
      principalMinor: principal,
      interestMinor: interest,
      feesMinor: fees,
      // Early buckets owe a minimum payment; from M3 the whole balance is due.
      minimumPaymentMinor: raw.daysPastDue <= 60 ? shareOf(balance, 10, 100) : balance,
      dueDate: '2026-01-01',
      statementBalanceMinor: balance,
    },
    truth,
    stated: { ...truth, monthlyIncomeMinor: statedIncome },
    maxMonthlyPaymentMinor: shareOf(disposable, raw.capacityPct, 100),
    maxLumpSumMinor: disposable * raw.lumpSumMonths,
    patience: raw.patience,
    behaviour: b,
    chineseNumerals: raw.language !== 'en' && raw.chineseNumerals,
    phraseSeed: raw.phraseSeed,
  });
}

export const PersonaOptions = z.object({
  count: z.number().int().min(1).max(100_000),
  seed: z.number().int(),
  lang: LanguageChoice.default('all'),
});
export type PersonaOptions = z.input<typeof PersonaOptions>;

export function generatePersonas(options: PersonaOptions): Persona[] {
  const { count, seed, lang } = PersonaOptions.parse(options);
  const languages: Language[] = lang === 'all' ? [...Language.options] : [lang];
  return fc
    .sample(fc.noBias(rawPersona(languages)), { seed, numRuns: count })
    .map((raw, index) => toPersona(raw, index, seed));
}
