/**
 * The cardholder's situation: hardship reason, monthly income, essential expenses — enough for the
 * policy's affordability check. Anything already said (even before verification, in the first
 * free-text message) is not asked again; each question is asked at most MAX_ASKS times. Income and
 * expenses are always read back together in one message ("您是说每月到手 ¥9,000、必要开销 ¥4,800，
 * 对吗？") and used only once the cardholder agrees; a "no" asks for both again, a correction is
 * read back again. Figures never confirmed are not used: affordability stays unknown, so the
 * policy offers nothing and a person takes over.
 */
import type { WaterfallStepContext } from 'botbuilder-dialogs';
import { TextPrompt, WaterfallDialog } from './library.js';
import { confirmFigures, countAsked, defaultReason, dropUnconfirmedFigures, expect, forgetFigures, type CaseFile } from '../conversation/case.js';
import type { Expecting } from '../conversation/understanding.js';
import { CaseDialog } from './caseDialog.js';
import { formatMoney } from '../conversation/messages/index.js';
import { message } from './speak.js';
import { takeCommand, turnFacts } from './turn.js';
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
      defaultReason(file);
      const readBack = await this.readBack(step, file);
      if (readBack) return readBack;
      if (file.figuresToConfirm) dropUnconfirmedFigures(file);
      expect(file, 'none');
      return step.endDialog();
    }
    const times = countAsked(file, slot);
    expect(file, slot);
    const key = times === 0 ? (`intake.ask_${slot}` as const) : (`intake.reask_${slot}` as const);
    return step.prompt(PROMPT, { prompt: message(file.language, key) });
  }

  /** Both figures in one short question, until the cardholder agrees (at most MAX_ASKS times). */
  private async readBack(step: WaterfallStepContext, file: CaseFile) {
    const income = file.monthlyIncomeMinor;
    const expenses = file.essentialExpensesMinor;
    if (!file.figuresToConfirm || income === null || expenses === null || (file.asked['figures'] ?? 0) >= MAX_ASKS) return null;
    const record = await this.record(step.context);
    if (!record) return null;
    countAsked(file, 'figures');
    expect(file, 'figures');
    const money = (minor: number) => formatMoney(minor, record.account.currency, file.language);
    return step.prompt(PROMPT, { prompt: message(file.language, 'readback.confirm', { income: money(income), expenses: money(expenses) }) });
  }

  /**
   * The answer was already applied to the case file by the bot; ask for whatever is still missing.
   * After a read-back: yes confirms; a corrected figure is read back again; a bare no asks for both
 * again. Unclear answers get the read-back again, at most MAX_ASKS times.
   */
  private async loop(step: WaterfallStepContext) {
    const file = await this.caseOf(step.context);
    if (file.expecting === 'figures') {
      const corrected = turnFacts(step.context).commands.some((c) => c.kind === 'set_income' || c.kind === 'set_expenses');
      if (!corrected && takeCommand(step.context, 'affirm')) confirmFigures(file);
      // Both are asked again (each question still at most MAX_ASKS times in all).
      else if (!corrected && takeCommand(step.context, 'deny')) forgetFigures(file);
    }
    return step.replaceDialog(STEPS);
  }
}
