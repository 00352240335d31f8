/**
 * The embedded default understanding: lexicon patterns (lexicon.yaml) plus exact number and date
 * reading, for zh-CN, zh-TW and en. Deterministic and synchronous inside; the port is async only
 * because an LLM implementation is.
 */
import { findDates } from './dates.js';
import { AMOUNT_TAG, MONTHS_TAG, loadLexicon, type Lexicon } from './lexicon.js';
import { findQuantities, prepare, type Quantity } from './numbers.js';
import { UNSURE_FIGURES, isVerificationQuestion, type Entities, type Intent, type Understanding, type UnderstandingContext, type UnderstandingResult } from '../../conversation/understanding.js';
import { detectLanguage } from './text.js';

/** Clause boundaries: a slot cue ("收入", "rent") only claims the numbers of its own clause. */
const CLAUSE_BREAK = /[，。；！？;!?\n、]|[,.](?!\d)|但是|不过|\bbut\b|\band\b|另外|还有|加上/g;
/** A message that is nothing but a number, give or take a filler word: a bare slot answer. */
const BARE = new RegExp(
  String.raw`^\s*(?:每个?月|一个月|月|大概|大约|差不多|约|about|around|roughly|maybe|approximately|like|only|just)?\s*(?:[$¥£€]|rmb|usd)?\s*(?:${AMOUNT_TAG}|${MONTHS_TAG})\s*(?:块钱|块|元|左右|上下|多|吧|啊|呢|per month|a month|monthly|each month|dollars|bucks|yuan|usd|rmb|\s)*[。.!！~]?\s*$`,
);
const BARE_CHOICE = /^\s*(?:选|要|我选|就|pick|choose|option|number|#)?\s*([1-9])\s*(?:号|个|吧|号方案)?\s*[。.!！]?\s*$/;
const OPTION_AFTER = /^\s*(?:个|种|项|条|套|档|号方案|方案|option|plan|choice|one)/;
const UNSURE = 0.3;
/** Amount notations people misread, and hedges: either sends the figures to a read-back. */
const ABBREVIATED = /\d\s*[kw]|\d\.\d/;
const HEDGED = /左右|大概|大约|差不多|上下|将近|出头|多块|\babout\b|\baround\b|\broughly\b|\bapprox|\bor so\b|~/;

type Slot = 'income' | 'expenses' | 'amount';

interface Clause {
  readonly start: number;
  readonly end: number;
}

function clausesOf(text: string): Clause[] {
  const clauses: Clause[] = [];
  let start = 0;
  for (const m of text.matchAll(CLAUSE_BREAK)) {
    clauses.push({ start, end: m.index! });
    start = m.index! + m[0].length;
  }
  clauses.push({ start, end: text.length });
  return clauses;
}

/** The last match of a global cue pattern in text[from, to), as an index, or -1. */
function lastCue(re: RegExp, text: string, from: number, to: number): number {
  let last = -1;
  for (const m of text.slice(from, to).matchAll(re)) last = from + m.index!;
  return last;
}

function slotOf(lex: Lexicon, text: string, clause: Clause, q: Quantity, expecting: UnderstandingContext['expecting']): Slot {
  const income = lastCue(lex.income, text, clause.start, q.start);
  const expenses = lastCue(lex.expenses, text, clause.start, q.start);
  if (income >= 0 || expenses >= 0) return income > expenses ? 'income' : 'expenses';
  const incomeAfter = lastCue(lex.income, text, q.end, clause.end) >= 0;
  const expensesAfter = lastCue(lex.expenses, text, q.end, clause.end) >= 0;
  if (incomeAfter !== expensesAfter) return incomeAfter ? 'income' : 'expenses';
  // "还三千" names a payment whatever was asked: a slot is filled only by a bare or cue-less number.
  if (lex.payment.test(text.slice(clause.start, q.start))) return 'amount';
  if (expecting === 'income') return 'income';
  if (expecting === 'expenses') return 'expenses';
  return 'amount';
}

function blank<S extends { start: number; end: number }>(text: string, spans: readonly S[], fill: (s: S) => string) {
  let out = '';
  let at = 0;
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    if (s.start < at) continue;
    out += text.slice(at, s.start) + fill(s);
    at = s.end;
  }
  return out + text.slice(at);
}

function optionIndexOf(lex: Lexicon, text: string, quantities: Quantity[], expecting: UnderstandingContext['expecting']): number | null {
  const choosing = expecting === 'offer_choice';
  if (choosing) {
    const bare = BARE_CHOICE.exec(text);
    if (bare) return Number(bare[1]);
  }
  for (const q of quantities) {
    if (q.kind !== 'ordinal' || q.value < 1) continue;
    if (choosing || OPTION_AFTER.test(text.slice(q.end)) || /(?:option|plan|choice|选项?|方案)\s*$/.test(text.slice(0, q.start))) return q.value;
  }
  const word = lex.ordinalWord.exec(text);
  if (word && (choosing || lex.optionCue.test(text.slice(word.index + word[0].length, word.index + word[0].length + 12)))) {
    return lex.ordinals.get(word[1]!) ?? null;
  }
  return null;
}

/** The bot's yes-or-no questions: consent, figures read back, a promised date read back, a safety check-in. */
export const YES_NO: ReadonlySet<UnderstandingContext['expecting']> = new Set(['consent', 'figures', 'promise_date', 'check_in']);
const BARE_NO = /^\s*(不是|不对)[\s,.!?~，。！？、]*$/;

/** Intents a named date plus a payment verb outranks: "周五还2000" is a promise, not an offer. */
const WEAKER_THAN_PROMISE = new Set<Intent>([
  'propose_payment', 'request_installment', 'cannot_pay', 'busy_later', 'affirm', 'deny', 'unknown', 'thanks', 'greeting',
]);
/** Intents that carry a concession; elsewhere "利息" is a question, not a request. */
const NEGOTIATING = new Set<Intent>(['request_reduction', 'propose_payment', 'request_installment']);

export function understandText(lex: Lexicon, raw: string, context: UnderstandingContext): UnderstandingResult {
  const language = detectLanguage(raw, context.language);
  const text = prepare(raw);
  const verifying = isVerificationQuestion(context.expecting);

  const signals = lex.signals.filter((s) => s.re.test(text)).map((s) => s.signal);
  const dates = verifying ? [] : findDates(text, context.today);
  const masked = blank(text, dates, (s) => ' '.repeat(s.end - s.start));
  const quantities = verifying ? [] : findQuantities(masked);
  const tagged = blank(text, quantities.filter((q) => q.kind === 'amount' || q.kind === 'months'), (q) =>
    q.kind === 'months' ? MONTHS_TAG : AMOUNT_TAG,
  );

  const entities: Entities = {
    amountMinor: null, months: null, date: dates[0]?.date ?? null, hardshipReason: null, incomeMinor: null,
    expensesMinor: null, concession: null, percentBps: null, deferralDays: null, optionIndex: null,
    ...(dates[0]?.alternative ? { dateAlternative: dates[0].alternative } : {}),
  };
  let approximate = false;
  entities.optionIndex = optionIndexOf(lex, masked, quantities, context.expecting);

  const clauses = clausesOf(masked);
  for (const q of quantities) {
    if (q.kind === 'amount') {
      if (entities.optionIndex !== null && context.expecting === 'offer_choice' && BARE_CHOICE.test(masked)) continue;
      const clause = clauses.find((c) => q.start >= c.start && q.start <= c.end) ?? { start: 0, end: masked.length };
      const slot = slotOf(lex, masked, clause, q, context.expecting);
      const key = slot === 'income' ? 'incomeMinor' : slot === 'expenses' ? 'expensesMinor' : 'amountMinor';
      // A range ("五六百") is read at its cautious end: the low one for what comes in or is
      // offered, the high one for what must go out. The read-back shows the number either way.
      if (entities[key] !== null) continue;
      entities[key] = slot === 'expenses' && q.upper !== null ? q.upper : q.value;
      if (slot !== 'amount' && (q.upper !== null || ABBREVIATED.test(masked.slice(q.start, q.end)) || HEDGED.test(masked))) approximate = true;
    } else if (q.kind === 'months') entities.months ??= q.value;
    else if (q.kind === 'days') entities.deferralDays ??= q.value;
    else if (q.kind === 'percent') entities.percentBps ??= q.value;
  }

  entities.hardshipReason = lex.reasons.find((r) => r.re.test(text))?.reason ?? null;
  const concession = lex.concessions.find((c) => c.re.test(text))?.concession ?? null;
  if (concession === 'deferral' && entities.months !== null) {
    // "推迟一个月" asks for a pause, not a one-month plan.
    entities.deferralDays ??= entities.months * 30;
    entities.months = null;
  }

  const matched = lex.intents.find((e) => e.re.test(tagged));
  let intent: Intent = matched?.intent ?? 'unknown';
  let confidence = matched?.confidence ?? UNSURE;
  const bare = BARE.test(tagged);

  if (entities.date !== null && WEAKER_THAN_PROMISE.has(intent) && lex.payment.test(masked)) {
    intent = 'promise_to_pay';
    confidence = 0.85;
  } else if (!matched || (intent === 'propose_payment' && entities.amountMinor === null)) {
    // An offer needs its amount; "I make 3000 a month" names income, not a payment.
    [intent, confidence] = fallback(entities, context.expecting, bare);
  }
  if (entities.optionIndex !== null && (intent === 'unknown' || (bare && intent === 'propose_payment'))) {
    intent = 'affirm';
    confidence = 0.9;
  }
  // "不是" / "不对" alone is "wrong person" when someone picks up, but "no" to a yes-or-no question.
  if (YES_NO.has(context.expecting) && intent === 'wrong_person' && BARE_NO.test(text)) intent = 'deny';
  if (context.expecting === 'consent' && (intent === 'affirm' || intent === 'deny')) confidence = 0.95;
  if (context.expecting === 'hardship_reason' && entities.hardshipReason === null && intent === 'unknown' && text.trim() !== '') {
    entities.hardshipReason = 'other';
    confidence = 0.6;
  }
  if (NEGOTIATING.has(intent)) entities.concession = concession;
  if (approximate) confidence = Math.min(confidence, UNSURE_FIGURES);

  return { intent, entities, signals, language, confidence, engine: 'rules', promptVersion: null, checkIn: null };
}

/** No lexicon entry matched: read the message from the numbers it carries and the question asked. */
function fallback(e: Entities, expecting: UnderstandingContext['expecting'], bare: boolean): [Intent, number] {
  const slotAnswer = (expecting === 'income' && e.incomeMinor !== null) || (expecting === 'expenses' && e.expensesMinor !== null);
  if (slotAnswer) return ['unknown', bare ? 0.95 : 0.8];
  if (e.amountMinor !== null) return ['propose_payment', bare ? 0.7 : 0.6];
  if (e.months !== null) return ['request_installment', 0.6];
  if (e.hardshipReason !== null) return expecting === 'hardship_reason' ? ['unknown', 0.9] : ['cannot_pay', 0.6];
  if (e.percentBps !== null) return ['request_reduction', 0.6];
  if (e.incomeMinor !== null || e.expensesMinor !== null) return ['unknown', 0.7];
  return ['unknown', UNSURE];
}

let shippedLexicon: Lexicon | undefined;

export class RuleUnderstanding implements Understanding {
  readonly name = 'rules' as const;

  /** The shipped lexicon is read and compiled once per process, however many instances are made. */
  constructor(private readonly lexicon: Lexicon = (shippedLexicon ??= loadLexicon())) {}

  async understand(text: string, context: UnderstandingContext): Promise<UnderstandingResult> {
    return understandText(this.lexicon, text, context);
  }
}
