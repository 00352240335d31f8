/**
 * A promise to pay ("我明天还", "I'll pay Friday") is noted as it is and the conversation closes
 * politely: the bot does not push a plan on someone who says they will pay. A date people read two
 * ways ("next Friday" on a Monday) is first read back with its calendar date; only the date the
 * cardholder confirms (or names) is recorded.
 */
import type { TurnContext } from 'botbuilder';
import { formatDate, formatMoney, formatWeekday } from '../conversation/messages/index.js';
import { expect, promiseDate, promiseNoted, type CaseFile } from '../conversation/case.js';
import { say } from './speak.js';
import { askFeedback } from './feedback.js';
import { accountOf } from './turn.js';
import type { CaseServices } from './services.js';

export async function notePromise(context: TurnContext, file: CaseFile, services: CaseServices): Promise<void> {
  const promise = file.promise;
  if (!promise) return;
  const record = file.accountId ? await accountOf(context, services.accounts, file.accountId) : null;
  await services.audit.promise(context, promise);
  if (record) await services.lifecycle?.promised(context, record.account.accountId, record.policyId, promise, { language: file.language, dateStyle: file.dateStyle });
  const lang = file.language;
  const amount = promise.amountMinor !== null && record ? formatMoney(promise.amountMinor, record.account.currency, lang) : null;
  const date = promise.date ? formatDate(promise.date, lang, file.dateStyle) : null;
  const key = amount && date ? 'promise.noted_amount_date' : date ? 'promise.noted_date' : amount ? 'promise.noted_amount' : 'promise.noted';
  await say(context, lang, key, { ...(amount ? { amount } : {}), ...(date ? { date } : {}) });
  promiseNoted(file);
  await askFeedback(context, file, services, 'left');
}

/** A two-way date is read back ("您是说 2026年12月11日（星期五），对吗？"); true when the question was asked. */
export async function askPromiseDate(context: TurnContext, file: CaseFile): Promise<boolean> {
  const date = file.promise?.date;
  if (!date || !file.promiseAlternative) return false;
  expect(file, 'promise_date');
  const lang = file.language;
  await say(context, lang, 'promise.confirm_date', { date: formatDate(date, lang, file.dateStyle), weekday: formatWeekday(date, lang) });
  return true;
}

/**
 * The answer to that read-back: yes keeps the date; a date named now replaces it (read back again if
 * it too reads two ways); no asks which day; anything else drops the unconfirmed date rather than
 * guess. 'note' when the promise can be recorded, 'asked' when a question is pending again.
 */
export async function settlePromiseDate(context: TurnContext, file: CaseFile, reply: PromiseDateReply): Promise<'note' | 'asked'> {
  const pending = file.promiseAlternative !== null;
  if (reply.date) {
    promiseDate(file, reply.date, reply.alternative);
    return (await askPromiseDate(context, file)) ? 'asked' : 'note';
  }
  if (reply.yes && pending) {
    promiseDate(file, file.promise?.date ?? null, null);
    return 'note';
  }
  promiseDate(file, null, null);
  if (reply.no && pending) {
    await say(context, file.language, 'promise.ask_date');
    return 'asked';
  }
  return 'note';
}

export interface PromiseDateReply {
  yes: boolean;
  no: boolean;
  /** A date named in the reply, and its other reading when it too reads two ways. */
  date: string | null;
  alternative: string | null;
}
