/**
 * What understanding (rules or LLM) may say about one cardholder message. Dialogs act only on
 * this structure (Rasa CALM's split: understanding emits, dialogs execute), so it is the whole
 * contract between the two. Optional fields are `.nullable()` rather than `.optional()` because
 * OpenAI structured output requires every key to be present.
 */
import { z } from 'zod';
import { HardshipReason, IsoDate, Signal } from '../policy/index.js';
import { Language } from './language.js';

export const Intent = z.enum([
  'greeting',
  'affirm',
  'deny',
  'request_installment',
  'request_reduction',
  'propose_payment',
  'promise_to_pay',
  'cannot_pay',
  'already_paid',
  'dispute',
  'wrong_person',
  /** Someone other than the cardholder speaks for them (a spouse, a colleague): nothing is disclosed. */
  'third_party',
  'third_party_deceased',
  'request_human',
  'complaint',
  'ask_balance',
  'ask_minimum_payment',
  'ask_interest_fees',
  /** How interest and fees are worked out, as opposed to how much has been charged. */
  'ask_interest_method',
  /** 征信 / credit report: the answer is the issuer's own text in its policy file. */
  'ask_credit_report',
  'ask_documents',
  'request_agreement_copy',
  'changed_phone',
  'ask_how_to_pay',
  'ask_due_date',
  'ask_if_bot',
  'busy_later',
  'thanks',
  'start_over',
  'stop_contact',
  'unknown',
]);
export type Intent = z.infer<typeof Intent>;

/** The policy's signals that can be read in a message: each one may trigger a handoff. */
export const TextualSignal = Signal.extract([
  'self_harm',
  'bereavement',
  'serious_illness',
  'mental_health',
  'addiction',
  'bankruptcy',
  'legal_representation',
]);
export type TextualSignal = z.infer<typeof TextualSignal>;

/**
 * The safety classes a second-stage reading may ask about instead of raising: a message the
 * classifier finds close to one of them, though not close enough to hand off, gets one gentle
 * question ("are you writing about someone else's account?"); a yes raises the class itself.
 */
export const CheckInClass = Signal.extract(['self_harm', 'bereavement', 'dispute', 'third_party', 'legal_representation']);
export type CheckInClass = z.infer<typeof CheckInClass>;

/** What understanding may flag: the textual policy signals, plus injection (audited, never obeyed). */
export const UnderstandingSignal = z.enum([...TextualSignal.options, 'prompt_injection']);
export type UnderstandingSignal = z.infer<typeof UnderstandingSignal>;

/** Which concession a `request_reduction` is about ("减免违约金" → fees). */
export const Concession = z.enum(['interest', 'fees', 'settlement', 'deferral']);
export type Concession = z.infer<typeof Concession>;

export const Entities = z.object({
  /** A payment amount the cardholder names ("每月只能还1500" → 150000). */
  amountMinor: z.number().int().nullable(),
  /** Plan length ("分12期", "一年" → 12). */
  months: z.number().int().nullable(),
  /** A date the cardholder names ("明天", "Friday"), resolved against the turn's date. */
  date: IsoDate.nullable(),
  /**
   * Present when the words name a date people read two ways ("next Friday", "下周五" said early in
   * the week): the other calendar date. Such a date is confirmed back before it is recorded. Read
   * by the rules only; a model is never asked for it.
   */
  dateAlternative: IsoDate.nullish(),
  hardshipReason: HardshipReason.nullable(),
  incomeMinor: z.number().int().nullable(),
  expensesMinor: z.number().int().nullable(),
  concession: Concession.nullable(),
  /** A share the cardholder asks for ("90% off" → 9000). */
  percentBps: z.number().int().nullable(),
  /** A deferral length in days ("推迟一个月" → 30). */
  deferralDays: z.number().int().nullable(),
  /** 1-based choice among options the bot listed ("第二个", "the second option"). */
  optionIndex: z.number().int().nullable(),
});

/**
 * Income or expenses read from a form people misread — "9k", "4k8", "1w2", a range ("五六百"),
 * "左右", "about" — come with at most this confidence; the dialog reads such figures back before
 * the policy uses them.
 */
export const UNSURE_FIGURES = 0.6;
export type Entities = z.infer<typeof Entities>;

export const UnderstandingResult = z.object({
  intent: Intent,
  entities: Entities,
  signals: z.array(UnderstandingSignal),
  language: Language,
  confidence: z.number().min(0).max(1),
  engine: z.enum(['rules', 'classifier', 'llm']),
  /** The prompt template version for LLM results; null for rules. */
  promptVersion: z.string().nullable(),
  /**
   * A safety class this message may be about though none was raised: the bot asks (hybrid.ts's
   * second stage; the embedded classifier's only — a model is never asked for it).
   */
  checkIn: CheckInClass.nullish(),
});
export type UnderstandingResult = z.infer<typeof UnderstandingResult>;

/** The slot the bot last asked about, so "1500" or "yes" can be read in context. */
export const Expecting = z.enum([
  'none',
  'verification_last4',
  'verification_dob',
  'hardship_reason',
  'income',
  'expenses',
  /** Income and expenses read back for confirmation before the policy uses them. */
  'figures',
  /** A promised date people read two ways, read back with its calendar date. */
  'promise_date',
  /** A gentle safety question ("are you writing about someone else's account?"): yes or no. */
  'check_in',
  'offer_choice',
  'consent',
]);
export type Expecting = z.infer<typeof Expecting>;

/**
 * The one test of "the bot has asked a verification question": its answer is a secret (read by
 * the rules alone, never sent to a model or a redaction pattern) and no dates or amounts are read
 * from it.
 */
export function isVerificationQuestion(expecting: Expecting): boolean {
  return expecting === 'verification_last4' || expecting === 'verification_dob';
}

export const UnderstandingContext = z.object({
  /** The conversation's language so far; detection may override it per message. */
  language: Language.nullable(),
  expecting: Expecting,
  /** Today's date in the policy timezone, for resolving "明天" / "Friday". */
  today: IsoDate,
  /** Recent turns, oldest first, already redacted. */
  recentTurns: z.array(z.object({ role: z.enum(['cardholder', 'bot']), text: z.string() })),
  /**
   * Personal values known in this conversation (name on file, date of birth, verification
   * answers) that pattern matching cannot recognise; an engine that sends text out of the process
   * masks them first.
   */
  secrets: z.array(z.string()).optional(),
});
export type UnderstandingContext = z.infer<typeof UnderstandingContext>;

export interface Understanding {
  readonly name: 'rules' | 'classifier' | 'llm';
  understand(text: string, context: UnderstandingContext): Promise<UnderstandingResult>;
}
