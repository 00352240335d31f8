/**
 * Templates speak: every message the negotiation sends is built here from the message catalogs
 * and the policy's own numbers. No dialog formats an amount itself.
 */
import { ActivityTypes, CardFactory, MessageFactory, type Activity, type TurnContext } from 'botbuilder';
import type { Offer } from '../policy/model.js';
import { formatDate, formatMoney, t, type MessageVars } from '../bot/messages/index.js';
import type { Language } from '../bot/understanding/schema.js';

export type Action = 'accept' | 'other' | 'human' | 'agree' | 'disagree' | 'continue_bot' | 'callback';

export function actionLabel(lang: Language, action: Action): string {
  return t(lang, `action.${action}`);
}

const ALL_LANGUAGES: Language[] = ['zh-CN', 'zh-TW', 'en'];

/** A button press arrives as its label (imBack, WeChat's numbered reply): map it back exactly. */
export function matchAction(text: string, offered: Action[]): Action | null {
  const needle = text.trim().toLowerCase();
  for (const action of offered) {
    for (const lang of ALL_LANGUAGES) if (actionLabel(lang, action).toLowerCase() === needle) return action;
  }
  return null;
}

/** Catalog text is plain: line breaks are meant, and `*` or `_` in a reference are not markdown. */
function plain(activity: Partial<Activity>): Partial<Activity> {
  return { ...activity, textFormat: 'plain' };
}

export function message(lang: Language, key: string, vars?: MessageVars, actions: Action[] = []): Partial<Activity> {
  const text = t(lang, key, vars);
  return plain(
    actions.length === 0
      ? MessageFactory.text(text)
      : MessageFactory.suggestedActions(actions.map((a) => actionLabel(lang, a)), text),
  );
}

export async function say(context: TurnContext, lang: Language, key: string, vars?: MessageVars, actions: Action[] = []) {
  await context.sendActivity(message(lang, key, vars, actions));
}

export async function emit(context: TurnContext, name: 'offer' | 'agreement' | 'handoff' | 'verified', value: unknown) {
  await context.sendActivity({ type: ActivityTypes.Event, name, value });
}

/** The lines that describe an offer, all numbers straight from the policy's Offer. */
export function offerLines(offer: Offer, currency: string, lang: Language): string[] {
  const m = (minor: number) => formatMoney(minor, currency, lang);
  const lines: string[] = [];
  if (offer.settlement) {
    lines.push(
      t(lang, 'offer.settlement', {
        amount: m(offer.settlement.amountMinor),
        discount: m(offer.concessionMinor),
        payBy: formatDate(offer.settlement.payByDate, lang),
      }),
    );
  }
  if (offer.deferral) {
    lines.push(t(lang, 'offer.deferral', { days: offer.deferral.days, resume: formatDate(offer.deferral.resumeDate, lang) }));
  }
  if (offer.installment) {
    const i = offer.installment;
    const last = i.schedule[i.schedule.length - 1];
    lines.push(
      t(lang, 'offer.installment', {
        months: i.months,
        monthly: m(i.monthlyPaymentMinor),
        first: formatDate(i.firstDueDate, lang),
      }),
    );
    if (last && last.amountMinor !== i.monthlyPaymentMinor) {
      lines.push(t(lang, 'offer.installment_last', { last: m(last.amountMinor) }));
    }
    const planInterest = i.schedule.reduce((sum, l) => sum + l.interestMinor, 0);
    lines.push(planInterest === 0 ? t(lang, 'offer.no_interest') : t(lang, 'offer.plan_interest', { interest: m(planInterest) }));
  }
  if (offer.feeWaiver) lines.push(t(lang, 'offer.fee_waiver', { amount: m(offer.feeWaiver.amountMinor) }));
  if (offer.interestWaiver) lines.push(t(lang, 'offer.interest_waiver', { amount: m(offer.interestWaiver.amountMinor) }));
  lines.push(t(lang, 'offer.total', { total: m(offer.totalRepayableMinor), balance: m(offer.balanceMinor) }));
  return lines;
}

/** The offer's terms as text (every channel shows text) and its payment schedule as a card. */
export function offerActivity(offer: Offer, currency: string, lang: Language, key: string, actions: Action[]): Partial<Activity> {
  const activity = MessageFactory.suggestedActions(
    actions.map((a) => actionLabel(lang, a)),
    [t(lang, key), ...offerLines(offer, currency, lang)].join('\n'),
  );
  const schedule = offer.installment?.schedule ?? [];
  if (schedule.length > 0) {
    const shown = schedule.slice(0, SCHEDULE_LINES_SHOWN).map((l) =>
      t(lang, 'offer.schedule_line', { n: l.n, date: formatDate(l.dueDate, lang), amount: formatMoney(l.amountMinor, currency, lang) }),
    );
    if (schedule.length > SCHEDULE_LINES_SHOWN) {
      const last = schedule[schedule.length - 1]!;
      shown.push(t(lang, 'offer.schedule_more', { count: schedule.length - SCHEDULE_LINES_SHOWN }));
      shown.push(t(lang, 'offer.schedule_line', { n: last.n, date: formatDate(last.dueDate, lang), amount: formatMoney(last.amountMinor, currency, lang) }));
    }
    activity.attachments = [CardFactory.heroCard(t(lang, 'offer.card_title'), shown.join('\n\n'))];
  }
  return plain(activity);
}

/** A schedule card stays readable on a phone; the full schedule is in the arrangement record. */
const SCHEDULE_LINES_SHOWN = 3;
