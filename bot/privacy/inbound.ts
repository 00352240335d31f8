/**
 * The one boundary a cardholder's words cross before anything keeps them: the Direct Line log, the
 * transcript (activity and understanding decision), the recent turns in conversation state and the
 * model all receive `stored`, never the raw text. Only the running turn holds the raw text, to
 * check the answers and read the numbers.
 *
 * Verification answers exist nowhere after the check: a message that answers a verification
 * question is stored as a placeholder, and until the cardholder is verified every 4-digit number is
 * masked too — after an early handoff, or before being asked, "4821" is indistinguishable from the
 * last four digits (dates of birth are masked by `redact` in every conversation).
 */
import type { TurnContext } from 'botbuilder';
import { redact, type RedactionKind } from './redact.js';

export const VERIFICATION_PLACEHOLDER = '[verification answer]';

/** What the conversation is at when the message arrives (read before the turn changes it). */
export interface InboundState {
  /** The bot has just asked for a verification answer. */
  awaitingVerification: boolean;
  verified: boolean;
}

export interface InboundText {
  /** What every sink receives. */
  stored: string;
  /** The message answers a verification question: stored as a placeholder. */
  verificationAnswer: boolean;
  /**
   * The message held a verification answer or a number that was masked (a card, a date of birth,
   * a 4-digit number before verification): read by the rules only, and the understanding decision
   * keeps no entities (a number read from it would be the masked value again).
   */
  sensitive: boolean;
  /**
   * What the understanding reads. While an answer is awaited, the raw text (the rules only; a story
   * told instead of the answer must still be heard); otherwise the raw text with every card, ID,
   * phone, CVV and date of birth masked — their digits are never an amount or a date the
   * conversation state could keep ("19880314" typed for an agent is not a proposal of ¥19,880,314).
   * 4-digit numbers stay readable: before verification "2000" is still an amount.
   */
  understood: string;
}

/** Kinds whose digits an understanding could turn into an amount or a date. */
const NUMERIC_KINDS = new Set<RedactionKind>(['id_number', 'card', 'phone', 'card_security', 'birth_date', 'secret']);
/** Anything a verification answer could be written with. */
const MAY_ANSWER = /[0-9０-９]|[〇零一幺二两三四五六七八九十]{2,}/;

const FOUR_DIGITS = /(?<![0-9０-９〇零一幺二两三四五六七八九])(?:[0-9０-９]{4}|[〇零一幺二两三四五六七八九]{4})(?![0-9０-９〇零一幺二两三四五六七八九])/g;

/**
 * While an answer is awaited, any message with digits (or Chinese numerals) is taken for one; a
 * message without ("转人工", "我失业了") is kept like any other, so what the cardholder asked for is
 * still on record.
 */
export function inboundText(raw: string, state: InboundState): InboundText {
  if (state.awaitingVerification && MAY_ANSWER.test(raw)) return { stored: VERIFICATION_PLACEHOLDER, verificationAnswer: true, sensitive: true, understood: raw };
  const { text: redacted, found } = redact(raw.trim());
  const numeric = found.some((k) => NUMERIC_KINDS.has(k));
  const understood = numeric ? redact(raw.trim(), { kinds: [...NUMERIC_KINDS] }).text : raw;
  if (state.verified) return { stored: redacted, verificationAnswer: false, sensitive: numeric, understood };
  const stored = redacted.replace(FOUR_DIGITS, '[REDACTED]');
  return { stored, verificationAnswer: false, sensitive: numeric || stored !== redacted, understood };
}

const INBOUND = Symbol('forbear.inbound');

/** Classifies a turn's message once (cached on the turn), from the state it arrives in. */
export class InboundPrivacy {
  constructor(private readonly stateOf: (context: TurnContext) => Promise<InboundState>) {}

  async of(context: TurnContext): Promise<InboundText> {
    const cached = context.turnState.get(INBOUND) as InboundText | undefined;
    if (cached) return cached;
    const result = inboundText(context.activity.text ?? '', await this.stateOf(context));
    context.turnState.set(INBOUND, result);
    return result;
  }
}
