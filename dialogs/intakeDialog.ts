/**
 * The cardholder's situation: hardship reason, monthly income, essential expenses — enough for the
 * policy's affordability check. Anything already said (even before verification, in the first
 * free-text message) is not asked again; each question is asked at most MAX_ASKS times.
 */
import { TextPrompt, WaterfallDialog, type WaterfallStepContext } from 'botbuilder-dialogs';
import type { CaseFile } from '../conversation/case.js';
import type { Expecting } from '../conversation/understanding.js';
import { CaseDialog } from './caseDialog.js';
import { message } from './speak.js';
import type { CaseServices } from './services.js';

export const INTAKE_DIALOG = 'intake';
const PROMPT = 'intake.prompt';
const STEPS = 'intake.steps';
const MAX_ASKS = 2;

type Slot = Extract<Expecting, 'hardship_reason' | 'income' | 'expenses'>;

/** The first slot still missing and not yet asked too often; null when intake is done. */
export function nextSlot(file: CaseFile): Slot | null {
  const missing: [Slot, boolean][] = [
    ['hardship_reason', file.hardshipReason === null],
    ['income', file.monthlyIncomeMinor === null],
    ['expenses', file.essentialExpensesMinor === null],
  ];
  for (const [slot, isMissing] of missing) if (isMissing && (file.asked[slot] ?? 0) < MAX_ASKS) return slot;
  return null;
}

export class IntakeDialog extends CaseDialog {
  constructor(services: CaseServices) {
    super(INTAKE_DIALOG, services);
    this.addDialog(new TextPrompt(PROMPT));
    this.addDialog(new WaterfallDialog(STEPS, [this.ask.bind(this), this.loop.bind(this)]));
    this.initialDialogId = STEPS;
  }

  private async ask(step: WaterfallStepContext) {
    const file = await this.caseOf(step.context);
    const slot = nextSlot(file);
    if (slot === null) {
      // A reason the cardholder would not give is still a hardship request; the policy decides
      // whether "other" is enough for any concession.
      file.hardshipReason ??= 'other';
      file.expecting = 'none';
      return step.endDialog();
    }
    const times = file.asked[slot] ?? 0;
    file.asked[slot] = times + 1;
    file.expecting = slot;
    const key = times === 0 ? `intake.ask_${slot}` : `intake.reask_${slot}`;
    return step.prompt(PROMPT, { prompt: message(file.language, key) });
  }

  /** The answer was already applied to the case file by the bot; ask for whatever is still missing. */
  private async loop(step: WaterfallStepContext) {
    return step.replaceDialog(STEPS);
  }
}
