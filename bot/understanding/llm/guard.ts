/**
 * What the model says is a claim, not a fact. The guard turns a model output into an
 * understanding result the dialogs may act on: the shape is validated again, every number must
 * be one the cardholder actually wrote (as the rule engine's number parser reads it), an `unknown` intent
 * defers to the rules, and safety signals are the union of both engines so a phrase the rules
 * caught is never lost because the model missed it. Pure: no I/O, no clock.
 */
import { z } from 'zod';
import { UnderstandingOutput } from '../../../prompts/index.js';
import { findQuantities, prepare, type Quantity } from '../numbers.js';
import { Entities, UnderstandingSignal, type Expecting, type UnderstandingResult } from '../../../conversation/understanding.js';

export const NumericEntity = z.enum(['amountMinor', 'incomeMinor', 'expensesMinor', 'months', 'percentBps', 'deferralDays', 'optionIndex']);
export type NumericEntity = z.infer<typeof NumericEntity>;

/** Redaction placeholders ("[CARD ****1234]", "[PHONE]") hold no number the cardholder offered. */
const PLACEHOLDER = /\[[A-Z][^\]]*\]/g;

/** What a claimed number is checked against: the message as the model saw it, read by the rule engine's number parser. */
export interface Evidence {
  message: string;
  quantities: readonly Quantity[];
  expecting: Expecting;
}

export function evidenceFrom(message: string, expecting: Expecting = 'none'): Evidence {
  return { message, quantities: findQuantities(prepare(message.replace(PLACEHOLDER, ' '))), expecting };
}

/**
 * Which mentions can license a value in each field. The number parser types every mention by
 * its surroundings; a bare number ("make it 18", "1500") is typed as an amount, so it also counts
 * for the field the conversation gives it (months, an option, a share).
 */
const bare = (q: Quantity, v: number) => q.kind === 'amount' && !q.currency && q.value === v * 100;
const LICENSES: Record<NumericEntity, (q: Quantity, v: number) => boolean> = {
  amountMinor: (q, v) => q.kind === 'amount' && q.value === v,
  incomeMinor: (q, v) => q.kind === 'amount' && q.value === v,
  expensesMinor: (q, v) => q.kind === 'amount' && q.value === v,
  months: (q, v) => (q.kind === 'months' && q.value === v) || bare(q, v),
  deferralDays: (q, v) => (q.kind === 'days' && q.value === v) || (q.kind === 'months' && q.value * 30 === v) || bare(q, v),
  percentBps: (q, v) => (q.kind === 'percent' && q.value === v) || bare(q, v / 100),
  optionIndex: (q, v) => (q.kind === 'ordinal' && q.value === v) || bare(q, v),
};

/** "一半" / "half" is a share the number parser does not type. */
const HALF = /半|half/i;

/** While the bot's options are on screen, "the cheaper one" names an option with no digit in it. */
const MAX_LISTED_OPTIONS = 9;

export function isDerivable(field: NumericEntity, value: number, { message, quantities, expecting }: Evidence): boolean {
  if (value < 0) return false;
  if (quantities.some((q) => LICENSES[field](q, value))) return true;
  if (field === 'percentBps') return value === 5000 && HALF.test(message);
  if (field === 'optionIndex') return expecting === 'offer_choice' && value >= 1 && value <= MAX_LISTED_OPTIONS;
  return false;
}

export interface GuardInput {
  /** The model's answer as parsed JSON; validated here whatever the caller did. */
  output: unknown;
  /** The rule engine's reading of the same message. */
  rules: UnderstandingResult;
  /** The cardholder's message as the model saw it (redacted). */
  message: string;
  /** The slot the bot asked about. */
  expecting: Expecting;
  promptVersion: string;
}

export type GuardVerdict =
  | { ok: true; result: UnderstandingResult; dropped: NumericEntity[] }
  | { ok: false; error: z.ZodError };

export function guard({ output, rules, message, expecting, promptVersion }: GuardInput): GuardVerdict {
  const parsed = UnderstandingOutput.safeParse(output);
  if (!parsed.success) return { ok: false, error: parsed.error };
  const claim = parsed.data;

  const evidence = evidenceFrom(message, expecting);
  const dropped = NumericEntity.options.filter((field) => {
    const value = claim.entities[field];
    return value !== null && !isDerivable(field, value, evidence);
  });
  const entities = Entities.parse({ ...claim.entities, ...Object.fromEntries(dropped.map((f) => [f, null])) });
  // The same date the rules read two ways keeps its second reading, so it is still confirmed back.
  if (entities.date !== null && entities.date === rules.entities.date && rules.entities.dateAlternative) {
    entities.dateAlternative = rules.entities.dateAlternative;
  }

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
      // The embedded second stage's question, if the guard engine asked one; a handoff the model
      // raised comes first in the dialogs anyway.
      checkIn: rules.checkIn ?? null,
    },
  };
}
