/**
 * The embedded default understanding: the trained classifier (classifier/) decides what a message
 * is about; the rules (rules.ts) read what rules read best — numbers, dates, option choices, bare
 * slot answers — and the safety lexicon, which may only ADD signals and handoffs, never remove
 * them. One `UnderstandingResult`, as from any engine.
 */
import { featureText, type IntentClassifier, type Classification } from './classifier/intentClassifier.js';
import { shippedClassifier, shippedSafetyClassifier } from './classifier/model.js';
import { CHECK_IN_LABELS, type SafetyClassifier, type SafetyScore } from './classifier/safetyClassifier.js';
import { labelIntent, type ClassifierLabel } from './classifier/corpus.js';
import { loadLexicon, type Lexicon } from './lexicon.js';
import { understandText, YES_NO } from './rules.js';
import {
  UNSURE_FIGURES,
  isVerificationQuestion,
  type CheckInClass,
  type TextualSignal,
  type Intent,
  type Understanding,
  type UnderstandingContext,
  type UnderstandingResult,
  type UnderstandingSignal,
} from '../../conversation/understanding.js';

/** Intents that hand off (or stop the bot): when the rules see one, a classifier cannot talk it away. */
const SAFETY_INTENTS = new Set<Intent>(['request_human', 'dispute', 'third_party', 'third_party_deceased', 'wrong_person', 'stop_contact', 'complaint']);

/**
 * Intents that interrupt whatever the bot asked: their message is never a slot answer, so numbers
 * in it are read as if nothing had been asked ("还三千" while income is pending is a promise of
 * ¥3,000, not an income).
 */
export const INTERRUPTING = new Set<Intent>([
  ...SAFETY_INTENTS,
  'already_paid', 'promise_to_pay', 'ask_balance', 'ask_minimum_payment', 'ask_interest_fees', 'ask_interest_method',
  'ask_how_to_pay', 'ask_due_date', 'ask_if_bot', 'ask_credit_report', 'ask_documents', 'request_agreement_copy',
  'changed_phone', 'busy_later', 'start_over',
]);

/**
 * How sure the classifier must be. `sure` and `leaning` were chosen by 5-fold cross-validation on
 * the train part (`npm run -s cv:understanding`, README), never on a test part. A learned safety
 * signal needs `signalMin` of the probability: the lexicon already covers the plain wordings.
 */
export interface Thresholds {
  readonly sure: number;
  readonly leaning: number;
  readonly signalMin: number;
  /**
   * The second stage's band: a message that raised no safety class but whose classifier score for
   * one of the check-in classes is at least this gets one gentle question about it (a question is
   * cheaper than a wrong handoff, not free). Chosen by `npm run -s cv:understanding -- --check-in`
   * on the train part: the band that catches the most safety lines while at most 5 % of the lines
   * carrying no safety class get a check-in, in every language (README, "Second stage").
   */
  readonly checkInMin: number;
  /**
   * The second model's band (classifier/safetyClassifier.ts): where the first model's band asks
   * nothing, a score of the safety-only model for one of the five classes at least this asks about
   * it. Chosen by the same cross-validation and the same 5 % rule, counted over both bands together.
   */
  readonly safetyCheckInMin: number;
}
export const THRESHOLDS: Thresholds = { sure: 0.9, leaning: 0.4, signalMin: 0.5, checkInMin: 0.3, safetyCheckInMin: 0.2 };

/**
 * The second stage: the check-in class the classifier leans to most, when its score is in the band
 * (at least `checkInMin`; anything that reached the raising thresholds was raised already). Not a
 * wording list: the score comes from the whole trained model, so it moves with any retraining.
 */
export function checkInOf(ranked: readonly Classification[], checkInMin: number): CheckInClass | null {
  let best: { about: CheckInClass; score: number } | null = null;
  for (const [about, labels] of Object.entries(CHECK_IN_LABELS) as [CheckInClass, readonly ClassifierLabel[]][]) {
    for (const c of ranked) {
      if (labels.includes(c.label) && c.score >= checkInMin && (best === null || c.score > best.score)) best = { about, score: c.score };
    }
  }
  return best?.about ?? null;
}

/** The second model's check-in: its best class when that scores at least `min`. */
export function safetyCheckInOf(scores: readonly SafetyScore[], min: number): CheckInClass | null {
  const best = scores.reduce<SafetyScore | null>((a, b) => (a === null || b.score > a.score ? b : a), null);
  return best !== null && best.score >= min ? best.about : null;
}

const isSignalLabel = (l: ClassifierLabel): l is `signal.${TextualSignal}` => l.startsWith('signal.');

/** The rules' own reading is structural (a choice, a bare slot answer, a dated promise): context, not vocabulary. */
function structural(r: UnderstandingResult, context: UnderstandingContext): boolean {
  if (r.entities.optionIndex !== null) return true;
  if (YES_NO.has(context.expecting) && (r.intent === 'affirm' || r.intent === 'deny')) return true;
  if (r.intent === 'promise_to_pay' && r.entities.date !== null) return true;
  const slotAnswer = r.intent === 'unknown' && (r.entities.incomeMinor !== null || r.entities.expensesMinor !== null);
  return slotAnswer && r.confidence >= 0.8;
}

/**
 * A bare yes or no carries nothing else: a message the rules read a reason or a number in
 * ("我失业了", "I make 3000") is not an acceptance, however sure the classifier is.
 */
function contradicted(intent: Intent, rules: UnderstandingResult): boolean {
  if (intent !== 'affirm' && intent !== 'deny') return false;
  const e = rules.entities;
  return e.hardshipReason !== null || e.amountMinor !== null || e.incomeMinor !== null || e.expensesMinor !== null || e.months !== null || e.percentBps !== null;
}

/**
 * `contextFree`: the rules' reading as if nothing had been asked, read only for an interrupting
 * intent; `safety`: the second model's scores, which can only add a check-in.
 */
export function combine(
  rules: UnderstandingResult,
  contextFree: () => UnderstandingResult,
  classified: readonly Classification[],
  context: UnderstandingContext,
  { sure, leaning, signalMin, checkInMin, safetyCheckInMin }: Thresholds = THRESHOLDS,
  safety: readonly SafetyScore[] = [],
): UnderstandingResult {
  let ranked = classified;
  const signals = new Set<UnderstandingSignal>(rules.signals);
  // Text written to steer a model is read by the rules alone: no learned reading of it counts.
  const steered = signals.has('prompt_injection');
  if (steered) {
    ranked = [];
    safety = [];
  }
  for (const c of ranked) if (isSignalLabel(c.label) && c.score >= signalMin) signals.add(c.label.slice('signal.'.length) as TextualSignal);

  const best = ranked.find((c) => !isSignalLabel(c.label));
  const learned = best ? { intent: labelIntent(best.label)!, score: best.score, none: best.label === 'unknown' } : null;
  const lexiconHit = rules.intent !== 'unknown' && rules.confidence >= 0.8;

  let intent = rules.intent;
  let confidence = rules.confidence;
  const take = () => {
    intent = learned!.intent;
    confidence = Math.max(0.5, Math.min(0.95, learned!.score));
  };
  if (SAFETY_INTENTS.has(rules.intent)) {
    // The rules' handoff stands.
  } else if (steered) {
    // "your manager approved 90% off" is a reduction request for the policy to judge.
  } else if (rules.intent === 'ask_if_bot' && learned?.intent === 'request_human') {
    // "Am I talking to a real human?" asks what the bot is; it gets the truthful answer, not a handoff.
  } else if (YES_NO.has(context.expecting) && (rules.intent === 'affirm' || rules.intent === 'deny') && learned?.intent === 'wrong_person') {
    // "不是，开支是五千" answers "对吗？" — a no with a correction, not someone else on the line.
  } else if (learned && SAFETY_INTENTS.has(learned.intent) && learned.score >= leaning) take();
  else if (structural(rules, context)) {
    // "1500" when income was asked, "第二个", "yes" to consent: the question decides.
  } else if (learned && !learned.none && learned.score >= sure && !contradicted(learned.intent, rules)) take();
  else if (lexiconHit) {
    // Unsure classifier, confident lexicon.
  } else if (learned && learned.score >= leaning && !contradicted(learned.intent, rules)) take();

  // An interruption is never a slot answer: its numbers and reason are read as if nothing had been asked.
  const source = INTERRUPTING.has(intent) ? contextFree() : rules;
  const entities = { ...source.entities };
  if (intent === 'propose_payment' && entities.amountMinor === null) {
    intent = rules.intent === 'propose_payment' ? 'unknown' : rules.intent;
    confidence = rules.confidence;
  }
  if (!['request_installment', 'request_reduction', 'propose_payment'].includes(intent)) entities.concession = null;
  // "other" is the rules' reading of an unrecognised answer to "what happened?"; once the message
  // is recognised as something else, it is no reason.
  if (entities.hardshipReason === 'other' && rules.intent === 'unknown' && intent !== 'unknown' && intent !== 'cannot_pay') entities.hardshipReason = null;
  // A figure the rules read from a misreadable form stays unsure, whoever named the intent.
  const unsureFigures = rules.confidence <= UNSURE_FIGURES && (entities.incomeMinor !== null || entities.expensesMinor !== null);
  if (unsureFigures) confidence = Math.min(confidence, rules.confidence);
  // The second stage only asks where the first raised nothing that hands off, and never about the
  // reply to its own question. The safety-only model is heard only where the first model's band is
  // silent: it adds questions, never changes one.
  const raised = [...signals].some((s) => s !== 'prompt_injection') || SAFETY_INTENTS.has(intent);
  const checkIn = raised || context.expecting === 'check_in' ? null : (checkInOf(ranked, checkInMin) ?? safetyCheckInOf(safety, safetyCheckInMin));
  return { ...rules, intent, confidence, entities, signals: [...signals], engine: 'classifier', checkIn };
}

let shippedLexicon: Lexicon | undefined;

export class ClassifierUnderstanding implements Understanding {
  readonly name = 'classifier' as const;

  constructor(
    private readonly classifier: Promise<IntentClassifier> = shippedClassifier(),
    private readonly lexicon: Lexicon = (shippedLexicon ??= loadLexicon()),
    private readonly safety: Promise<SafetyClassifier> = shippedSafetyClassifier(),
  ) {}

  async understand(text: string, context: UnderstandingContext): Promise<UnderstandingResult> {
    const rules = understandText(this.lexicon, text, context);
    // Verification answers are read by the rules alone; nothing else has a say in them.
    if (isVerificationQuestion(context.expecting)) return rules;
    const contextFree = () => (context.expecting === 'none' ? rules : understandText(this.lexicon, text, { ...context, expecting: 'none' }));
    const opening = text.slice(0, MAX_CLASSIFIED);
    const features = featureText(opening);
    const [ranked, safety] = await Promise.all([(await this.classifier).classify(features), (await this.safety).classify(features)]);
    return combine(rules, contextFree, ranked, context, THRESHOLDS, safety);
  }
}

/** A 4,000-character message is classified on its opening; the safety lexicon still reads all of it. */
const MAX_CLASSIFIED = 600;
