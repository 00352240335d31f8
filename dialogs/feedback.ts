/**
 * The cardholder's feedback: at the end of a conversation (an agreement, a handoff a person closed,
 * or the cardholder leaving) one optional question — satisfaction 1–5, then "were you treated
 * fairly?" — as the channel's own buttons (numbered replies on WeChat). Anything else the
 * cardholder writes passes the question over and is handled as usual. It is asked at most once per
 * conversation, and never of someone handed off in crisis or who is not the cardholder.
 */
import type { TurnContext } from 'botbuilder';
import { setFeedback, type CaseFile } from '../conversation/case.js';
import type { AccountService } from '../conversation/accounts.js';
import type { Auditor, FeedbackEnding } from '../conversation/audit.js';
import { variantStamp } from '../conversation/variant.js';
import type { UnderstandingResult } from '../conversation/understanding.js';
import type { Handoff } from '../policy/index.js';
import { matchAction, say, type Action } from './speak.js';
import { accountOf } from './turn.js';

const RATINGS: Action[] = ['rate_1', 'rate_2', 'rate_3', 'rate_4', 'rate_5'];
const FAIRNESS: Action[] = ['fair_yes', 'fair_no'];

export interface FeedbackPorts {
  audit: Auditor;
  accounts: AccountService;
}

/** A crisis, or someone who is not the cardholder: no survey, now or later in this conversation. */
export function excludeFromFeedback(file: CaseFile, handoff: Handoff): void {
  const notTheCardholder = file.signals.includes('wrong_person') || file.signals.includes('third_party');
  if (handoff.urgency === 'critical' || notTheCardholder) setFeedback(file, 'never');
}

async function stamp(context: TurnContext, file: CaseFile, ports: FeedbackPorts): Promise<string | null> {
  return variantStamp(file.accountId ? await accountOf(context, ports.accounts, file.accountId) : null);
}

export async function askFeedback(context: TurnContext, file: CaseFile, ports: FeedbackPorts, after: FeedbackEnding): Promise<void> {
  // Conversation state saved before the field existed has none: not asked yet.
  if ((file.feedback ?? 'not_asked') !== 'not_asked') return;
  setFeedback(file, 'satisfaction');
  await ports.audit.feedbackAsked(context, after, await stamp(context, file, ports));
  await say(context, file.language, 'feedback.ask_satisfaction', {}, RATINGS);
}

/**
 * A typed yes or no to "were you treated fairly?" ("是", "yes", "不是") is an answer when that is all
 * the message says: a plain affirm or deny with no signal. Anything more ("yes but I want a person")
 * passes the question over, so the rest of the turn handles it.
 */
function typedFairness(understood: UnderstandingResult): Action | null {
  if (understood.signals.length > 0) return null;
  if (understood.intent === 'affirm') return 'fair_yes';
  if (understood.intent === 'deny') return 'fair_no';
  return null;
}

/**
 * The cardholder's reply while the question is open. True when it was an answer (recorded, and the
 * next question or a thank-you said); false when it was anything else, which closes the question
 * for good and leaves the message to the rest of the turn. `understand` reads the message as the
 * turn would; it is asked only when a typed reply is not one of the buttons' own words.
 */
export async function takeFeedback(
  context: TurnContext,
  file: CaseFile,
  ports: FeedbackPorts,
  text: string,
  understand: () => Promise<UnderstandingResult>,
): Promise<boolean> {
  if (file.feedback === 'satisfaction') {
    const typed = /^\s*([1-5])\s*$/.exec(text)?.[1];
    const action = matchAction(text, RATINGS) ?? (typed ? RATINGS[Number(typed) - 1]! : null);
    if (action) {
      await ports.audit.feedback(context, { satisfaction: RATINGS.indexOf(action) + 1, fair: null }, await stamp(context, file, ports));
      setFeedback(file, 'fair');
      await say(context, file.language, 'feedback.ask_fair', {}, FAIRNESS);
      return true;
    }
  } else if (file.feedback === 'fair') {
    const action = matchAction(text, FAIRNESS) ?? typedFairness(await understand());
    if (action) {
      await ports.audit.feedback(context, { satisfaction: null, fair: action === 'fair_yes' }, await stamp(context, file, ports));
      setFeedback(file, 'done');
      await say(context, file.language, 'feedback.thanks');
      return true;
    }
  } else {
    return false;
  }
  setFeedback(file, 'done');
  return false;
}
