/**
 * Agreement: the exact terms are restated, explicit consent is asked, and only then is an
 * Arrangement created — exactly once per conversation, so a repeated "yes" or a redelivered
 * message returns the same reference instead of a second arrangement.
 */
import type { WaterfallStepContext } from 'botbuilder-dialogs';
import { TextPrompt, WaterfallDialog } from './library.js';
import { concludeArrangement } from '../conversation/conclude.js';
import { expect } from '../conversation/case.js';
import { variantStamp } from '../conversation/variant.js';
import { CaseDialog } from './caseDialog.js';
import { consentActivity } from './speak.js';
import type { CaseServices } from './services.js';
import { consentTo, turnFacts } from './turn.js';
import { askFeedback } from './feedback.js';

export const AGREEMENT_DIALOG = 'agreement';
const PROMPT = 'agreement.prompt';
const STEPS = 'agreement.steps';
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
    expect(file, 'consent');
    return step.prompt(PROMPT, {
      prompt: consentActivity(file.pendingOffer, record.account.currency, file.language, file.dateStyle),
    });
  }

  private async decide(step: WaterfallStepContext) {
    const file = await this.caseOf(step.context);
    const answer = consentTo(step.context);
    // A corrected income or expense outweighs a yes: the terms on the table were computed from the old figures.
    const corrected = file.figuresToConfirm;
    if (answer === 'agree' && !corrected) {
      const record = (await this.record(step.context))!;
      const policy = this.services.policy(record.policyId);
      await concludeArrangement(step.context, this.services, {
        file,
        offer: file.pendingOffer!,
        accountId: record.account.accountId,
        currency: record.account.currency,
        policy,
        consentText: turnFacts(step.context).text,
        approvedBy: null,
        variant: variantStamp(record),
      });
      await askFeedback(step.context, file, this.services, 'agreement');
      return step.endDialog(true);
    }
    const { asks } = step.values as Asks;
    if (answer === 'disagree' || asks >= MAX_ASKS || corrected) {
      expect(file, 'none');
      return step.endDialog(false);
    }
    return step.replaceDialog(STEPS, { asks });
  }
}
