/**
 * Templates speak: every message the negotiation sends is built here from the message catalogs
 * and the policy's own numbers. No dialog formats an amount itself.
 */
import { ActivityTypes, CardFactory, MessageFactory, type Activity, type Attachment, type TurnContext } from 'botbuilder-core';
import type { Offer, ScheduleLine } from '../policy/index.js';
import { formatDate, formatMoney, t, type DateStyle, type MessageKey, type MessageVars } from '../conversation/messages/index.js';
import type { Language } from '../conversation/language.js';

export type Action =
  | 'accept'
  | 'other'
  | 'human'
  | 'agree'
  | 'disagree'
  | 'continue_bot'
  | 'callback'
  | 'rate_1'
  | 'rate_2'
  | 'rate_3'
  | 'rate_4'
  | 'rate_5'
  | 'fair_yes'
  | 'fair_no'
  | 'checkin_yes'
  | 'checkin_no';

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

export function message(lang: Language, key: MessageKey, vars?: MessageVars, actions: Action[] = []): Partial<Activity> {
  const text = t(lang, key, vars);
  return plain(
    actions.length === 0
      ? MessageFactory.text(text)
      : MessageFactory.suggestedActions(actions.map((a) => actionLabel(lang, a)), text),
  );
}

export async function say(context: TurnContext, lang: Language, key: MessageKey, vars?: MessageVars, actions: Action[] = []) {
  await context.sendActivity(message(lang, key, vars, actions));
}

export async function emit(context: TurnContext, name: 'offer' | 'agreement' | 'handoff' | 'verified', value: unknown) {
  await context.sendActivity({ type: ActivityTypes.Event, name, value });
}

/** Consecutive schedule lines with the same amount, so the text quotes exactly what the schedule says. */
export function paymentRuns(schedule: readonly { n: number; amountMinor: number }[]): { from: number; to: number; amountMinor: number }[] {
  const runs: { from: number; to: number; amountMinor: number }[] = [];
  for (const line of schedule) {
    const last = runs[runs.length - 1];
    if (last && last.amountMinor === line.amountMinor) last.to = line.n;
    else runs.push({ from: line.n, to: line.n, amountMinor: line.amountMinor });
  }
  return runs;
}

/** 1200 bps → "12%", 1050 → "10.5%", 1234 → "12.34%": exact, no floats. */
export function formatRate(bps: number): string {
  const cents = String(bps % 100).padStart(2, '0').replace(/0$/, '');
  return `${Math.floor(bps / 100)}${bps % 100 === 0 ? '' : `.${cents}`}%`;
}

/** The lines that describe an offer, all numbers straight from the policy's Offer. */
export function offerLines(offer: Offer, currency: string, lang: Language, dates: DateStyle = 'iso'): string[] {
  const m = (minor: number) => formatMoney(minor, currency, lang);
  const formatDay = (iso: string) => formatDate(iso, lang, dates);
  if (offer.holding) return holdingLines(offer, offer.holding, m, lang, formatDay);
  const lines: string[] = [];
  if (offer.settlement) {
    lines.push(
      t(lang, 'offer.settlement', {
        amount: m(offer.settlement.amountMinor),
        discount: m(offer.concessionMinor),
        payBy: formatDay(offer.settlement.payByDate),
      }),
    );
  }
  if (offer.deferral) {
    lines.push(t(lang, 'offer.deferral', { days: offer.deferral.days, resume: formatDay(offer.deferral.resumeDate) }));
  }
  if (offer.installment) {
    const i = offer.installment;
    const runs = paymentRuns(i.schedule);
    const [head, tail] = runs;
    if (runs.length <= 2 && (!tail || tail.from === tail.to)) {
      lines.push(t(lang, 'offer.installment', { months: i.months, monthly: m(head!.amountMinor), first: formatDay(i.firstDueDate) }));
      if (tail) lines.push(t(lang, 'offer.installment_last', { last: m(tail.amountMinor) }));
    } else {
      // Odd cents fall on several lines: each run is quoted as the schedule has it, never rounded to one figure.
      lines.push(t(lang, 'offer.installment_runs', { months: i.months, first: formatDay(i.firstDueDate) }));
      for (const run of runs) {
        lines.push(
          run.from === run.to
            ? t(lang, 'offer.run_one', { n: run.from, amount: m(run.amountMinor) })
            : t(lang, 'offer.run_many', { from: run.from, to: run.to, amount: m(run.amountMinor) }),
        );
      }
    }
    const planInterest = i.schedule.reduce((sum, l) => sum + l.interestMinor, 0);
    lines.push(
      planInterest === 0 && i.annualRateBps === 0
        ? t(lang, 'offer.no_interest')
        : t(lang, 'offer.annual_rate', { rate: formatRate(i.annualRateBps), interest: m(planInterest) }),
    );
  }
  if (offer.feeWaiver) lines.push(t(lang, 'offer.fee_waiver', { amount: m(offer.feeWaiver.amountMinor) }));
  if (offer.interestWaiver) lines.push(t(lang, 'offer.interest_waiver', { amount: m(offer.interestWaiver.amountMinor) }));
  lines.push(t(lang, 'offer.total', { total: m(offer.totalRepayableMinor), balance: m(offer.balanceMinor) }));
  return lines;
}

/** A token payment or breathing space: what is paid, that it does not repay the balance, and the review. */
function holdingLines(offer: Offer, holding: NonNullable<Offer['holding']>, m: (minor: number) => string, lang: Language, formatDay: (iso: string) => string): string[] {
  const lines =
    holding.kind === 'token_payment'
      ? [t(lang, 'offer.token_payment', { monthly: m(offer.installment!.monthlyPaymentMinor), months: offer.installment!.months, first: formatDay(offer.installment!.firstDueDate) })]
      : [t(lang, 'offer.breathing_space', { days: offer.deferral!.days, resume: formatDay(offer.deferral!.resumeDate) })];
  lines.push(
    t(lang, 'offer.holding_total', { paid: m(offer.totalRepayableMinor), remaining: m(holding.remainingMinor), balance: m(offer.balanceMinor) }),
    t(lang, 'offer.holding_review', { date: formatDay(holding.reviewDate) }),
  );
  return lines;
}

/**
 * The payment schedule as an Adaptive Card: the first lines at a glance and every other line one tap
 * away (Action.ShowCard); text channels such as WeChat print it in full.
 */
export function scheduleCard(offer: Offer, currency: string, lang: Language, dates: DateStyle = 'iso'): Attachment | null {
  const schedule = offer.installment?.schedule ?? [];
  if (schedule.length === 0) return null;
  const line = (l: ScheduleLine) => ({
    type: 'TextBlock',
    text: t(lang, 'offer.schedule_line', { n: l.n, date: formatDate(l.dueDate, lang, dates), amount: formatMoney(l.amountMinor, currency, lang) }),
    wrap: true,
    spacing: 'None',
  });
  const shown = schedule.slice(0, SCHEDULE_LINES_SHOWN);
  const rest = schedule.slice(SCHEDULE_LINES_SHOWN);
  const body: unknown[] = [{ type: 'TextBlock', text: t(lang, 'offer.card_title'), weight: 'Bolder', wrap: true }, ...shown.map(line)];
  // The rest unfolds below the first lines, so the schedule reads in order; text channels print it all.
  const actions =
    rest.length > 0
      ? [{ type: 'Action.ShowCard', title: t(lang, 'offer.schedule_all', { count: schedule.length }), card: { type: 'AdaptiveCard', body: rest.map(line) } }]
      : [];
  return CardFactory.adaptiveCard({ type: 'AdaptiveCard', version: '1.3', body, actions });
}

function termsActivity(offer: Offer, currency: string, lang: Language, lines: string[], actions: Action[], dates: DateStyle): Partial<Activity> {
  const activity = MessageFactory.suggestedActions(actions.map((a) => actionLabel(lang, a)), lines.join('\n'));
  const card = scheduleCard(offer, currency, lang, dates);
  if (card) activity.attachments = [card];
  return plain(activity);
}

/** The offer's terms as text (every channel shows text) and its payment schedule as a card. */
export function offerActivity(offer: Offer, currency: string, lang: Language, key: MessageKey, actions: Action[], dates: DateStyle = 'iso'): Partial<Activity> {
  return termsActivity(offer, currency, lang, [t(lang, key), ...offerLines(offer, currency, lang, dates)], actions, dates);
}

export const CONSENT: Action[] = ['agree', 'disagree'];

/**
 * What the cardholder consents to: every term, then what happens if a payment is missed — before
 * "同意", never after — with the whole schedule. The same words whoever proposed the terms.
 */
export function consentActivity(offer: Offer, currency: string, lang: Language, dates: DateStyle = 'iso'): Partial<Activity> {
  return termsActivity(offer, currency, lang, [t(lang, 'agreement.restate'), ...offerLines(offer, currency, lang, dates), t(lang, 'agreement.missed_payment')], CONSENT, dates);
}

/** A schedule card stays readable on a phone; the full schedule is one tap away. */
const SCHEDULE_LINES_SHOWN = 3;
