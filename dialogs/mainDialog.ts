/**
 * The negotiation from greeting to agreement: disclose, verify, take the situation, negotiate,
 * agree. Each step is its own ComponentDialog; this one only orders them. Declining at the consent
 * step goes back to the ladder, which moves on to the next offer.
 */
import type { DialogContext, DialogTurnResult, WaterfallStepContext } from 'botbuilder-dialogs';
import { WaterfallDialog } from './library.js';
import type { Offer } from '../policy/index.js';
import { disclose, nextRung, reassess, tableOffer } from '../conversation/case.js';
import { AGREEMENT_DIALOG, AgreementDialog } from './agreementDialog.js';
import { CaseDialog, MAIN_DIALOG } from './caseDialog.js';
import { CHECK_IN_DIALOG, CheckInDialog } from './checkInDialog.js';
import { INTAKE_DIALOG, IntakeDialog } from './intakeDialog.js';
import { NEGOTIATION_DIALOG, NegotiationDialog } from './negotiationDialog.js';
import { askPromiseDate, notePromise } from './promiseToPay.js';
import { PROMISE_DATE_DIALOG, PromiseDateDialog } from './promiseDateDialog.js';
import { say } from './speak.js';
import { tellArrangement } from './returning.js';
import type { CaseServices } from './services.js';
import { VERIFICATION_DIALOG, VerificationDialog } from './verificationDialog.js';

const STEPS = 'main.steps';

export class MainDialog extends CaseDialog {
  protected override readonly interruptible = false;

  constructor(services: CaseServices) {
    super(MAIN_DIALOG, services);
    this.addDialog(new VerificationDialog(services));
    this.addDialog(new IntakeDialog(services));
    this.addDialog(new NegotiationDialog(services));
    this.addDialog(new AgreementDialog(services));
    this.addDialog(new PromiseDateDialog(services));
    this.addDialog(new CheckInDialog(services));
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

  /** Disclosure first; then whatever the opening message needs at once ("转人工", "你是机器人吗"). */
  private async verify(step: WaterfallStepContext) {
    const file = await this.caseOf(step.context);
    if (!file.disclosed) {
      disclose(file);
      await say(step.context, file.language, 'greeting.disclosure');
      if (step.context.activity.type === 'message') {
        const interrupted = await this.interrupt(step, 'opening');
        if (interrupted) return interrupted;
      }
    }
    return file.verification.verified ? step.next() : step.beginDialog(VERIFICATION_DIALOG);
  }

  /** A check-in about the opening message waits in its own dialog; verification follows it (see `intake`). */
  protected override async awaitCheckIn(inner: DialogContext): Promise<DialogTurnResult | undefined> {
    return inner.beginDialog(CHECK_IN_DIALOG);
  }

  private async intake(step: WaterfallStepContext) {
    const file = await this.caseOf(step.context);
    // Back from a check-in about the opening message: verification comes first, as always.
    if (!file.verification.verified) return step.replaceDialog(STEPS);
    // A returning cardholder hears about the arrangement they have before anything else: a change
    // is negotiated as a change to it (the new one supersedes it), never as a second arrangement.
    await tellArrangement(step.context, file, this.services);
    if (file.promise) {
      if (await askPromiseDate(step.context, file)) return step.beginDialog(PROMISE_DATE_DIALOG);
      await notePromise(step.context, file, this.services);
      return step.endDialog();
    }
    return step.beginDialog(INTAKE_DIALOG);
  }

  private async negotiate(step: WaterfallStepContext) {
    return step.beginDialog(NEGOTIATION_DIALOG);
  }

  private async agree(step: WaterfallStepContext) {
    const file = await this.caseOf(step.context);
    // Figures corrected during the negotiation: on to `finish`, which reads them back and re-assesses.
    if (file.figuresToConfirm) return step.next(false);
    return (step.result as Offer | undefined) ? step.beginDialog(AGREEMENT_DIALOG) : step.endDialog();
  }

  private async finish(step: WaterfallStepContext) {
    if (step.result === true) return step.endDialog();
    const file = await this.caseOf(step.context);
    // Declined: the next offer. Corrected figures: read back, then a new ladder from its start.
    if (file.figuresToConfirm) reassess(file);
    else {
      nextRung(file);
      tableOffer(file, null);
    }
    return step.replaceDialog(STEPS);
  }
}
