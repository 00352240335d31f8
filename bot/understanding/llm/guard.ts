/**
 * What the model says is a claim, not a fact. The guard turns a model output into an
 * understanding result the dialogs may act on: the shape is validated again, every number must
 * be one the cardholder actually wrote (or a plain unit conversion of one), an `unknown` intent
 * defers to the rules, and safety signals are the union of both engines so a phrase the rules
 * caught is never lost because the model missed it. Pure: no I/O, no clock.
 */
import { z } from 'zod';
import { UnderstandingOutput } from '../../../prompts/index.js';
import { Entities, UnderstandingSignal, type UnderstandingResult } from '../schema.js';

export const NumericEntity = z.enum(['amountMinor', 'incomeMinor', 'expensesMinor', 'months', 'percentBps', 'deferralDays', 'optionIndex']);
export type NumericEntity = z.infer<typeof NumericEntity>;

/**
 * The magnitudes the cardholder could have meant for each field: money is in minor units ("1500"
 * → 150000), plan length may be given in years ("一年", "半年"), a share as a percent or a
 * fraction ("90%", "一半"), a deferral in months or weeks ("推迟一个月", "two weeks").
 */
const SOURCES: Record<NumericEntity, (v: number) => number[]> = {
  amountMinor: (v) => [v / 100],
  incomeMinor: (v) => [v / 100],
  expensesMinor: (v) => [v / 100],
  months: (v) => [v, v / 12],
  percentBps: (v) => [v / 100, v / 10_000],
  deferralDays: (v) => [v, v / 7, v / 30, v / 31],
  optionIndex: (v) => [v],
};

/** Numbers compared at a thousandth so 0.1 + 0.2 style float noise cannot fail a true match. */
const key = (n: number) => Math.round(n * 1000);

export function isDerivable(field: NumericEntity, value: number, mentioned: ReadonlySet<number>): boolean {
  if (value < 0) return false;
  const keys = new Set([...mentioned].map(key));
  return SOURCES[field](value).some((n) => keys.has(key(n)));
}

export interface GuardInput {
  /** The model's answer as parsed JSON; validated here whatever the caller did. */
  output: unknown;
  /** The rule engine's reading of the same message. */
  rules: UnderstandingResult;
  /** Every number written in the cardholder's message (as the model saw it). */
  mentioned: ReadonlySet<number>;
  promptVersion: string;
}

export type GuardVerdict =
  | { ok: true; result: UnderstandingResult; dropped: NumericEntity[] }
  | { ok: false; error: z.ZodError };

export function guard({ output, rules, mentioned, promptVersion }: GuardInput): GuardVerdict {
  const parsed = UnderstandingOutput.safeParse(output);
  if (!parsed.success) return { ok: false, error: parsed.error };
  const claim = parsed.data;

  const dropped = NumericEntity.options.filter((field) => {
    const value = claim.entities[field];
    return value !== null && !isDerivable(field, value, mentioned);
  });
  const entities = Entities.parse({ ...claim.entities, ...Object.fromEntries(dropped.map((f) => [f, null])) });

  const deferToRules = claim.intent === 'unknown';
  const signals = UnderstandingSignal.options.filter((s) => claim.signals.includes(s) || rules.signals.includes(s));

  return {
    ok: true,
    dropped,
    result: {
      intent: deferToRules ? rules.intent : claim.intent,
      entities,
      signals,
      language: claim.language,
      confidence: deferToRules ? rules.confidence : claim.confidence,
      engine: 'llm',
      promptVersion,
    },
  };
}
