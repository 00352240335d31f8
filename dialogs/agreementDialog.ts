/**
 * Agreement: the exact terms are restated, explicit consent is asked, and only then is an
 * Arrangement created — exactly once per conversation, so a repeated "yes" or a redelivered
 * message returns the same reference instead of a second arrangement.
 */
import { TextPrompt, WaterfallDialog, type WaterfallStepContext } from 'botbuilder-dialogs';
import type { Offer } from '../policy/model.js';
import { formatDate, formatMoney } from '../bot/messages/index.js';
import { CaseDialog } from './caseDialog.js';
import { variantStamp } from '../bot/experiments/variant.js';
import { emit, matchAction, offerActivity, say, type Action } from './speak.js';
import type { CaseServices } from './services.js';
import { takeCommand, turnFacts } from './turn.js';

export const AGREEMENT_DIALOG = 'agreement';
const PROMPT = 'agreement.prompt';
const STEPS = 'agreement.steps';
const ACTIONS: Action[] = ['agree', 'disagree'];
const MAX_ASKS = 3;

type Asks = { asks: number };

export class AgreementDialog extends CaseDialog {
  constructor(services: CaseServices) {
    super(AGREEMENT_DIALOG, services);
    this.addDialog(new TextPrompt(PROMPT));
    this.addDialog(new WaterfallDialog(STEPS, [this.restate.bind(this), this.decide.bind(this)]));
    this.initialDialogId = STEPS;
  }

  private async restate(step: WaterfallStepContext) {
    const file = await this.caseOf(step.context);
    const record = await this.record(step.context);
    if (!file.pendingOffer || !record) throw new Error('agreement started without an offer and a verified account');
    (step.values as Asks).asks = ((step.options as Partial<Asks> | undefined)?.asks ?? 0) + 1;
    file.expecting = 'consent';
    return step.prompt(PROMPT, {
      prompt: offerActivity(file.pendingOffer, record.account.currency, file.language, 'agreement.restate', ACTIONS),
    });
  }

  private async decide(step: WaterfallStepContext) {
    const file = await this.caseOf(step.context);
    const facts = turnFacts(step.context);
    const action = matchAction(facts.text, ACTIONS);
    if (action === 'agree' || (action === null && takeCommand(step.context, 'affirm'))) {
      return step.endDialog(await this.conclude(step, file.pendingOffer!, facts.text));
    }
    const { asks } = step.values as Asks;
    if (action === 'disagree' || takeCommand(step.context, 'deny') || asks >= MAX_ASKS) {
      file.expecting = 'none';
      return step.endDialog(false);
    }
    return step.replaceDialog(STEPS, { asks });
  }

  private async conclude(step: WaterfallStepContext, offer: Offer, consentText: string): Promise<true> {
    const file = await this.caseOf(step.context);
    const record = (await this.record(step.context))!;
    const policy = this.services.policy(record.policyId);
    const conversationId = step.context.activity.conversation.id;
    const { arrangement, created } = await this.services.arrangements.createOnce(conversationId, (reference) => ({
      reference,
      conversationId,
      accountId: record.account.accountId,
      channel: step.context.activity.channelId,
      language: file.language,
      offer,
      policyId: policy.id,
      policyVersion: policy.version,
      variant: variantStamp(record),
      consentText,
      consentAt: this.services.clock.now().toISOString(),
      approvedBy: null,
      createdAt: this.services.clock.now().toISOString(),
    }));
    file.arrangementReference = arrangement.reference;
    file.pendingOffer = null;
    file.expecting = 'none';
    file.closed = true;
    if (created) await this.services.audit.agreement(step.context, offer, consentText, arrangement.reference, arrangement.variant);
    const lang = file.language;
    const line = arrangement.offer.installment?.schedule[0];
    const settlement = arrangement.offer.settlement;
    const first = line ?? (settlement ? { amountMinor: settlement.amountMinor, dueDate: settlement.payByDate } : null);
    await say(step.context, lang, 'agreement.done', { reference: arrangement.reference });
    if (first) {
      await say(step.context, lang, 'agreement.first_payment', {
        amount: formatMoney(first.amountMinor, record.account.currency, lang),
        date: formatDate(first.dueDate, lang),
      });
    }
    await say(step.context, lang, 'agreement.missed_payment');
    await emit(step.context, 'agreement', arrangement);
    return true;
  }
}
