/**
 * The base of every negotiation dialog (like core-bot's CancelAndHelpDialog): before a step sees a
 * message, commands that may arrive at any moment are executed here — safety and dispute signals
 * hand off at once, questions are answered and the pending question asked again. Each step then
 * only deals with its own slot. ("Start over" is the bot's job: it resets the whole stack.)
 */
import type { DialogContext, DialogTurnResult } from 'botbuilder-dialogs';
import { ComponentDialog, DialogTurnStatus } from './library.js';
import type { TurnContext } from 'botbuilder-core';
import { balanceOf, triggeredHandoff } from '../policy/index.js';
import type { Handoff } from '../policy/index.js';
import { addSignals, askCheckIn, checkInAnswered, close, handedOff, type CaseFile } from '../conversation/case.js';
import type { CheckInClass } from '../conversation/understanding.js';
import { todayIn } from '../conversation/clock.js';
import { formatDate, formatMoney, hasMessage, type MessageKey } from '../conversation/messages/index.js';
import type { CardholderRecord } from '../conversation/accounts.js';
import { variantStamp } from '../conversation/variant.js';
import { askPromiseDate, notePromise, settlePromiseDate } from './promiseToPay.js';
import { checkPaid } from './returning.js';
import { askFeedback, excludeFromFeedback } from './feedback.js';
import { emit, matchAction, say, type Action } from './speak.js';
import type { CaseServices } from './services.js';
import { accountOf, turnFacts, type TurnFacts } from './turn.js';
import { commandsFor, unhandled, type Question } from './commands.js';

export const MAIN_DIALOG = 'main';

/** The quick replies to a check-in; typed answers are read by the understanding as yes or no. */
const CHECK_IN_REPLIES: Action[] = ['checkin_yes', 'checkin_no'];

/**
 * What the cardholder hears at handoff. Safety comes first; then someone who is not the cardholder
 * must hear nothing that confirms the debt, whatever else the policy's most urgent reason is.
 */
export function handoffMessageKey(file: CaseFile, handoff: Handoff): MessageKey {
  if (handoff.urgency === 'critical') return 'handoff.critical';
  if (file.signals.includes('wrong_person')) return 'handoff.wrong_person';
  // Condolences only where someone has died: a colleague or a brother asking is thanked, not consoled.
  if (file.signals.includes('third_party')) return file.signals.includes('bereavement') ? 'handoff.third_party_deceased' : 'handoff.third_party';
  const specific = `handoff.${handoff.reason}`;
  return hasMessage(file.language, specific) ? specific : 'handoff.default';
}

/** With nobody on duty: a call-back, or the bot — except for someone in crisis, who is not sent back to a bot. */
export function noAgentChoices(handoff: Handoff): Action[] {
  return handoff.urgency === 'critical' ? ['callback'] : ['continue_bot', 'callback'];
}

export abstract class CaseDialog extends ComponentDialog {
  constructor(
    id: string,
    protected readonly services: CaseServices,
  ) {
    super(id);
  }

  protected caseOf(context: TurnContext): Promise<CaseFile> {
    return this.services.caseState.get(context) as Promise<CaseFile>;
  }

  protected async record(context: TurnContext): Promise<CardholderRecord | null> {
    const file = await this.caseOf(context);
    return file.accountId ? accountOf(context, this.services.accounts, file.accountId) : null;
  }

  protected policyIdOf(record: CardholderRecord | null): string {
    return record?.policyId ?? this.services.settings.defaultPolicyId;
  }

  /** Today in the policy's timezone: the day offers and due dates count from. */
  protected today(policyTimezone: string): string {
    return todayIn(this.services.clock, policyTimezone);
  }

  /** Ends the bot's part: the case goes to a person, the cardholder is told what happens next. */
  protected async handOff(dc: DialogContext, handoff: Handoff): Promise<DialogTurnResult> {
    const file = await this.caseOf(dc.context);
    handedOff(file, handoff);
    excludeFromFeedback(file, handoff);
    const desk = await this.services.desk.open(dc.context, file, handoff);
    const variant = variantStamp(await this.record(dc.context));
    await this.services.audit.handoff(dc.context, handoff, variant);
    await say(dc.context, file.language, handoffMessageKey(file, handoff));
    // Someone who is not the cardholder is told nothing more, not even about a queue.
    if (!file.signals.includes('wrong_person') && !file.signals.includes('third_party')) {
      if (desk.available) {
        await say(dc.context, file.language, desk.position === 0 ? 'handoff.next_in_line' : 'handoff.expected_wait', {
          position: desk.position,
          minutes: desk.waitMinutes,
        });
      } else {
        await say(dc.context, file.language, 'handoff.no_agent', {}, noAgentChoices(handoff));
      }
    }
    // The variant rides on the event so the handoff is counted under it wherever it is announced.
    await emit(dc.context, 'handoff', { ...handoff, variant });
    // The `botbuilder` package (its index loads the Azure channel's clients) is loaded by the first
    // handoff of a process, not at every start-up.
    const { EventFactory } = await import('botbuilder');
    await dc.context.sendActivity(EventFactory.createHandoffInitiation(dc.context, { reason: handoff.reason, urgency: handoff.urgency, ruleIds: handoff.ruleIds }));
    await dc.cancelAllDialogs(true);
    return { status: DialogTurnStatus.complete };
  }

  /** The orchestrating dialog leaves interruptions to the step dialogs it contains. */
  protected readonly interruptible: boolean = true;

  protected override async onContinueDialog(inner: DialogContext): Promise<DialogTurnResult> {
    return (this.interruptible ? await this.interrupt(inner, 'waiting') : undefined) ?? super.onContinueDialog(inner);
  }

  /**
   * Commands that may arrive at any moment. `waiting`: a question is pending and is asked again
   * after an answer. `opening`: the message opened the conversation (no question pending yet), so
   * after an answer the conversation simply goes on — but a safety signal still hands off at once.
   */
  protected async interrupt(inner: DialogContext, moment: 'waiting' | 'opening'): Promise<DialogTurnResult | undefined> {
    const facts = turnFacts(inner.context);
    const file = await this.caseOf(inner.context);
    // The reply to a check-in is taken first, so that whatever else it says is read as usual.
    const checkedIn = checkInAnswered(file);

    const handoff = await this.handoffFromSignals(inner.context, file, facts);
    if (handoff) return this.handOff(inner, handoff);
    const resume = () => (moment === 'waiting' ? this.resume(inner) : undefined);
    if (checkedIn) {
      const replied = await this.checkInReply(inner, file, facts, checkedIn);
      if (replied) return replied === 'no' ? this.afterCheckIn(inner) : replied;
    }
    if (file.expecting === 'promise_date' && file.promise && !facts.commands.some((c) => c.kind === 'promise')) {
      return this.promiseDateReply(inner, file, facts);
    }

    const checkIn = facts.commands.find((c) => c.kind === 'check_in' && !file.checkedIn.includes(c.about));
    for (const command of commandsFor(facts.commands, 'interruption')) {
      switch (command.kind) {
        case 'signal':
          // Taken above, all together: the policy's trigger table sees every new signal at once.
          break;
        case 'answer':
          // Someone who may be asking about another person's account hears nothing about it before they say.
          if (checkIn) break;
          await this.answer(inner.context, file, command.question);
          return resume();
        case 'stop_contact':
          await this.services.audit.stopContact(inner.context, facts.text);
          await say(inner.context, file.language, 'flow.stop_contact');
          return resume();
        case 'busy_later':
          if (moment === 'opening') break;
          await say(inner.context, file.language, 'flow.busy_later');
          return { status: DialogTurnStatus.waiting };
        case 'promise':
          if (!file.verification.verified) break;
          if (await askPromiseDate(inner.context, file)) return { status: DialogTurnStatus.waiting };
          return this.notePromise(inner, file);
        case 'already_paid':
          close(file);
          // With an arrangement, "我已经还了" is checked against its ledger rather than taken on trust.
          if (!(await checkPaid(inner.context, file, this.services))) await say(inner.context, file.language, 'flow.already_paid');
          await askFeedback(inner.context, file, this.services, 'left');
          await inner.cancelAllDialogs(true);
          return { status: DialogTurnStatus.complete };
        case 'check_in':
          // Asked below, once nothing else in the message has taken the turn.
          break;
        default:
          return unhandled(command);
      }
    }
    if (checkIn?.kind === 'check_in') {
      askCheckIn(file, checkIn.about);
      await say(inner.context, file.language, `checkin.${checkIn.about}`, {}, CHECK_IN_REPLIES);
      return this.awaitCheckIn(inner);
    }
    return undefined;
  }

  /**
   * The yes or no to a check-in. Yes (tapped or typed) raises the class it asked about, and the
   * policy's trigger table decides the handoff exactly as if the message had raised it; no: the
   * conversation goes on. Anything else is no reply to it (null), and is handled as usual.
   */
  private async checkInReply(inner: DialogContext, file: CaseFile, facts: TurnFacts, about: CheckInClass): Promise<DialogTurnResult | 'no' | null> {
    const tapped = matchAction(facts.text, CHECK_IN_REPLIES);
    if (tapped === 'checkin_no' || (!tapped && facts.commands.some((c) => c.kind === 'deny'))) return 'no';
    if (tapped !== 'checkin_yes' && !facts.commands.some((c) => c.kind === 'affirm')) return null;
    addSignals(file, [about]);
    const handoff = triggeredHandoff(this.services.policy(this.policyIdOf(await this.record(inner.context))), [about]);
    return handoff ? this.handOff(inner, handoff) : 'no';
  }

  /** After a check-in is asked, the step waits for its reply (the opening has its own dialog to wait in). */
  protected async awaitCheckIn(_inner: DialogContext): Promise<DialogTurnResult | undefined> {
    return { status: DialogTurnStatus.waiting };
  }

  /** After "no" to a check-in: the pending question is asked again. */
  protected async afterCheckIn(inner: DialogContext): Promise<DialogTurnResult | undefined> {
    return this.resume(inner);
  }

  private async notePromise(inner: DialogContext, file: CaseFile): Promise<DialogTurnResult> {
    await notePromise(inner.context, file, this.services);
    await inner.cancelAllDialogs(true);
    return { status: DialogTurnStatus.complete };
  }

  /** The reply to a two-way date read back: a question is answered and the date asked again. */
  private async promiseDateReply(inner: DialogContext, file: CaseFile, facts: TurnFacts): Promise<DialogTurnResult> {
    const question = facts.commands.find((c) => c.kind === 'answer');
    if (question) {
      await this.answer(inner.context, file, question.question);
      if (!(await askPromiseDate(inner.context, file))) await say(inner.context, file.language, 'promise.ask_date');
      return { status: DialogTurnStatus.waiting };
    }
    const e = facts.understanding?.entities;
    const settled = await settlePromiseDate(inner.context, file, {
      yes: facts.commands.some((c) => c.kind === 'affirm'),
      no: facts.commands.some((c) => c.kind === 'deny'),
      date: e?.date ?? null,
      alternative: e?.dateAlternative ?? null,
    });
    return settled === 'asked' ? { status: DialogTurnStatus.waiting } : this.notePromise(inner, file);
  }

  /** New signals join the case; the policy's trigger table decides whether they need a person. */
  private async handoffFromSignals(context: TurnContext, file: CaseFile, facts: TurnFacts): Promise<Handoff | null> {
    const fresh = facts.commands.flatMap((c) => (c.kind === 'signal' ? [c.signal] : []));
    if (fresh.length === 0) return null;
    addSignals(file, fresh);
    const record = await this.record(context);
    return triggeredHandoff(this.services.policy(this.policyIdOf(record)), fresh);
  }

  private async resume(inner: DialogContext): Promise<DialogTurnResult> {
    await inner.repromptDialog();
    return { status: DialogTurnStatus.waiting };
  }

  /** Account facts only after verification; "are you a bot" always, truthfully. */
  private async answer(context: TurnContext, file: CaseFile, question: Question): Promise<void> {
    const lang = file.language;
    // Answers that are the same for everyone, so nothing about an account is disclosed.
    const general = { if_bot: 'answer.if_bot', how_to_pay: 'answer.how_to_pay', documents: 'answer.documents', interest_method: 'answer.interest_method', agreement_copy: 'answer.agreement_copy', changed_phone: 'answer.changed_phone' } as const;
    if (question in general) return say(context, lang, general[question as keyof typeof general]);
    const record = await this.record(context);
    if (question === 'credit_report') {
      // Each issuer states its own credit-reporting practice in its policy file.
      const text = this.services.policy(this.policyIdOf(record)).answers.creditReport?.[lang];
      return text ? say(context, lang, 'answer.credit_report', { text }) : say(context, lang, 'answer.credit_report_unknown');
    }
    if (!record) return say(context, lang, 'answer.verify_first');
    const a = record.account;
    const m = (minor: number) => formatMoney(minor, a.currency, lang);
    await this.services.audit.accountFacts(context, a.accountId, a.currency, {
      balanceMinor: balanceOf(a),
      principalMinor: a.principalMinor,
      interestMinor: a.interestMinor,
      feesMinor: a.feesMinor,
      minimumPaymentMinor: a.minimumPaymentMinor,
    });
    switch (question) {
      case 'balance':
        return say(context, lang, 'answer.balance', {
          total: m(balanceOf(a)),
          principal: m(a.principalMinor),
          interest: m(a.interestMinor),
          fees: m(a.feesMinor),
        });
      case 'minimum':
        return say(context, lang, 'answer.minimum', { minimum: m(a.minimumPaymentMinor), due: formatDate(record.dueDate, lang, file.dateStyle) });
      case 'interest_fees':
        return say(context, lang, 'answer.interest_fees', { interest: m(a.interestMinor), fees: m(a.feesMinor) });
      case 'due_date':
        return say(context, lang, 'answer.due_date', { due: formatDate(record.dueDate, lang, file.dateStyle), days: a.daysPastDue });
    }
  }
}
