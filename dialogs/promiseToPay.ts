/**
 * A promise to pay ("我明天还", "I'll pay Friday") is noted as it is and the conversation closes
 * politely: the bot does not push a plan on someone who says they will pay.
 */
import type { TurnContext } from 'botbuilder';
import { formatDate, formatMoney } from '../conversation/messages/index.js';
import { promiseNoted, type CaseFile } from '../conversation/case.js';
import { say } from './speak.js';
import { askFeedback } from './feedback.js';
import type { CaseServices } from './services.js';

export async function notePromise(context: TurnContext, file: CaseFile, services: CaseServices): Promise<void> {
  const promise = file.promise;
  if (!promise) return;
  const record = file.accountId ? await services.accounts.get(file.accountId) : null;
  await services.audit.promise(context, promise);
  if (record) await services.lifecycle?.promised(context, record.account.accountId, record.policyId, promise);
  const lang = file.language;
  const amount = promise.amountMinor !== null && record ? formatMoney(promise.amountMinor, record.account.currency, lang) : null;
  const date = promise.date ? formatDate(promise.date, lang) : null;
  const key = amount && date ? 'promise.noted_amount_date' : date ? 'promise.noted_date' : amount ? 'promise.noted_amount' : 'promise.noted';
  await say(context, lang, key, { ...(amount ? { amount } : {}), ...(date ? { date } : {}) });
  promiseNoted(file);
  await askFeedback(context, file, services, 'left');
}
