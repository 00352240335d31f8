/**
 * The negotiation from greeting to agreement: disclose, verify, take the situation, negotiate,
 * agree. Each step is its own ComponentDialog; this one only orders them. Declining at the consent
 * step goes back to the ladder, which moves on to the next offer.
 */
import { ComponentDialog, WaterfallDialog, type WaterfallStepContext } from 'botbuilder-dialogs';
import type { Offer } from '../policy/model.js';
import type { CaseFile } from '../bot/case.js';
import { AGREEMENT_DIALOG, AgreementDialog } from './agreementDialog.js';
import { MAIN_DIALOG } from './caseDialog.js';
import { INTAKE_DIALOG, IntakeDialog } from './intakeDialog.js';
import { NEGOTIATION_DIALOG, NegotiationDialog } from './negotiationDialog.js';
import { notePromise } from './promiseToPay.js';
import { say } from './speak.js';
import type { CaseServices } from './services.js';
import { VERIFICATION_DIALOG, VerificationDialog } from './verificationDialog.js';

const STEPS = 'main.steps';

export class MainDialog extends ComponentDialog {
  constructor(private readonly services: CaseServices) {
    super(MAIN_DIALOG);
    this.addDialog(new VerificationDialog(services));
    this.addDialog(new IntakeDialog(services));
    this.addDialog(new NegotiationDialog(services));
    this.addDialog(new AgreementDialog(services));
    this.addDialog(
      new WaterfallDialog(STEPS, [
        this.verify.bind(this),
        this.intake.bind(this),
        this.negotiate.bind(this),
        this.agree.bind(this),
        this.finish.bind(this),
      ]),
    );
    this.initialDialogId = STEPS;
  }

  private caseOf(step: WaterfallStepContext): Promise<CaseFile> {
    return this.services.caseState.get(step.context) as Promise<CaseFile>;
  }

  private async verify(step: WaterfallStepContext) {
    const file = await this.caseOf(step);
    if (!file.disclosed) {
      file.disclosed = true;
      await say(step.context, file.language, 'greeting.disclosure');
    }
    return file.verification.verified ? step.next() : step.beginDialog(VERIFICATION_DIALOG);
  }

  /** A promise to pay is honoured as it is, not turned into a plan the cardholder did not ask for. */
  private async intake(step: WaterfallStepContext) {
    const file = await this.caseOf(step);
    if (file.promise) {
      await notePromise(step.context, file, this.services);
      return step.endDialog();
    }
    return step.beginDialog(INTAKE_DIALOG);
  }

  private async negotiate(step: WaterfallStepContext) {
    return step.beginDialog(NEGOTIATION_DIALOG);
  }

  private async agree(step: WaterfallStepContext) {
    return (step.result as Offer | undefined) ? step.beginDialog(AGREEMENT_DIALOG) : step.endDialog();
  }

  private async finish(step: WaterfallStepContext) {
    if (step.result === true) return step.endDialog();
    const file = await this.caseOf(step);
    file.ladderIndex += 1;
    file.pendingOffer = null;
    return step.replaceDialog(STEPS);
  }
}
