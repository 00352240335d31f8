/**
 * The returning cardholder: once verified, someone with an arrangement hears the messages left for
 * them, where the arrangement stands (paid, remaining, the next instalment) and that a change is a
 * change to it. "我已经还了" is checked against the ledger. Figures come from the ledger and are
 * recorded as account facts before they are said.
 */
import type { TurnContext } from 'botbuilder';
import { countAsked, type CaseFile } from '../conversation/case.js';
import { formatDate, formatMoney, t } from '../conversation/messages/index.js';
import { say } from './speak.js';
import type { CaseServices } from './services.js';

const TOLD = 'lifecycle.status';
/** "I already paid" is looked for among payments of about the last statement cycle. */
const PAID_LOOKBACK_DAYS = 35;

export async function tellArrangement(context: TurnContext, file: CaseFile, services: CaseServices): Promise<void> {
  if (!services.lifecycle || !file.accountId || !file.verification.verified || file.asked[TOLD]) return;
  countAsked(file, TOLD);
  const lang = file.language;
  // Independent look-ups, asked together: with Redis one round trip, not two.
  const [notices, status] = await Promise.all([services.lifecycle.takeNotices(file.accountId), services.lifecycle.activeArrangement(file.accountId)]);
  if (notices.length > 0) {
    await say(context, lang, 'lifecycle.notices_header');
    for (const text of notices) await context.sendActivity({ type: 'message', textFormat: 'plain', text });
  }
  if (!status) return;
  const money = (m: number) => formatMoney(m, status.currency, lang);
  await services.audit.accountFacts(context, file.accountId, status.currency, {
    paidMinor: status.paidMinor,
    remainingMinor: status.remainingMinor,
    creditMinor: status.creditMinor,
    ...(status.next ? { nextDueMinor: status.next.amountMinor } : {}),
  });
  await say(context, lang, 'lifecycle.status', { reference: status.reference, paid: money(status.paidMinor), remaining: money(status.remainingMinor) });
  if (status.next) await say(context, lang, 'lifecycle.status_next', { n: status.next.n, amount: money(status.next.amountMinor), date: formatDate(status.next.dueDate, lang, file.dateStyle) });
  if (status.creditMinor > 0) await say(context, lang, 'lifecycle.status_credit', { amount: money(status.creditMinor) });
  await say(context, lang, 'lifecycle.change_hint');
}

/** True when the claim was answered from the ledger; false when there is no arrangement to check it against. */
export async function checkPaid(context: TurnContext, file: CaseFile, services: CaseServices): Promise<boolean> {
  if (!services.lifecycle || !file.accountId || !file.verification.verified) return false;
  const status = await services.lifecycle.activeArrangement(file.accountId);
  if (!status) return false;
  const lang = file.language;
  const money = (m: number) => formatMoney(m, status.currency, lang);
  const since = new Date(services.clock.now().getTime() - PAID_LOOKBACK_DAYS * 86_400_000).toISOString();
  const received = status.receivedSinceMinor(since);
  await services.audit.accountFacts(context, file.accountId, status.currency, {
    receivedMinor: received,
    paidMinor: status.paidMinor,
    remainingMinor: status.remainingMinor,
    ...(status.next ? { nextDueMinor: status.next.amountMinor } : {}),
  });
  if (received > 0) {
    const line = t(lang, 'lifecycle.status', { reference: status.reference, paid: money(status.paidMinor), remaining: money(status.remainingMinor) });
    await say(context, lang, 'lifecycle.paid_confirmed', { status: line });
  } else if (status.next) {
    await say(context, lang, 'lifecycle.paid_not_found', { n: status.next.n, amount: money(status.next.amountMinor) });
  } else {
    return false;
  }
  return true;
}
