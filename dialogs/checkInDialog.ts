/**
 * Waits for the reply to a safety check-in asked about the message that opened the conversation,
 * when there is no step dialog to wait in yet. The reply is handled where every interruption is
 * (CaseDialog.interrupt); a "no", or anything that is no reply, lets the conversation go on to
 * verification.
 */
import type { DialogContext, DialogTurnResult } from 'botbuilder-dialogs';
import { Dialog, WaterfallDialog } from './library.js';
import { CaseDialog } from './caseDialog.js';
import type { CaseServices } from './services.js';

export const CHECK_IN_DIALOG = 'check_in';
const STEPS = 'check_in.steps';

export class CheckInDialog extends CaseDialog {
  constructor(services: CaseServices) {
    super(CHECK_IN_DIALOG, services);
    this.addDialog(new WaterfallDialog(STEPS, [async () => Dialog.EndOfTurn, async (step) => step.endDialog()]));
    this.initialDialogId = STEPS;
  }

  /** No question was pending before the check-in: the conversation goes on. */
  protected override async afterCheckIn(_inner: DialogContext): Promise<DialogTurnResult | undefined> {
    return undefined;
  }
}
