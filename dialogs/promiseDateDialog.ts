/**
 * Waits for the answer to a promised date read back ("您是说 2026年12月11日（星期五），对吗？") when
 * the promise came before verification and there is no step dialog to wait in. The answer itself
 * is handled where every interruption is (CaseDialog.interrupt), so a safety signal still wins.
 */
import { Dialog, WaterfallDialog } from './library.js';
import { CaseDialog } from './caseDialog.js';
import type { CaseServices } from './services.js';

export const PROMISE_DATE_DIALOG = 'promise_date';
const STEPS = 'promise_date.steps';

export class PromiseDateDialog extends CaseDialog {
  constructor(services: CaseServices) {
    super(PROMISE_DATE_DIALOG, services);
    this.addDialog(new WaterfallDialog(STEPS, [async () => Dialog.EndOfTurn]));
    this.initialDialogId = STEPS;
  }
}
