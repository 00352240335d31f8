/**
 * Identity before anything else: no balance, bucket or offer is said until the card's last four
 * digits and the date of birth match. Too many failures lock the bot out and a person takes over.
 */
import type { PromptValidatorContext, WaterfallStepContext } from 'botbuilder-dialogs';
import { TextPrompt, WaterfallDialog } from './library.js';
import { dateOrderWritten, readDateOfBirth, readLast4 } from '../conversation/verificationAnswers.js';
import { expect, failedVerification, holdLast4, lockOut, takeLast4, verified, writesDates, type CaseFile } from '../conversation/case.js';
import { CaseDialog } from './caseDialog.js';
import { emit, message, say } from './speak.js';
import type { CaseServices } from './services.js';
import { turnFacts } from './turn.js';
import type { MessageKey } from '../conversation/messages/index.js';

export const VERIFICATION_DIALOG = 'verification';
const LAST4 = 'verification.last4';
const DOB = 'verification.dob';
const STEPS = 'verification.steps';

/**
 * A verification answer must be readable; when it is not, the retry says why. Someone who opens
 * with their story ("我失业了，这个月还不上") hears that it was noted before being asked again.
 */
function answerReader(
  read: (s: string, order: DateOrder) => string | null,
  caseState: CaseServices['caseState'],
  retryKey: MessageKey,
  order: (file: CaseFile) => DateOrder = () => null,
) {
  return async (p: PromptValidatorContext<string>) => {
    const file = await caseState.get(p.context);
    if (p.recognized.succeeded && read(p.recognized.value ?? '', order(file!)) !== null) return true;
    const toldStory = turnFacts(p.context).commands.some((c) => c.kind.startsWith('set_') || c.kind === 'cannot_pay' || c.kind === 'propose');
    p.options.retryPrompt = message(file!.language, toldStory ? 'verification.noted_story' : retryKey);
    return false;
  };
}

type DateOrder = 'mdy' | null;

/** "04/18/1990" is read month first in an English conversation (the US convention); elsewhere only when unambiguous. */
const dateOrder = (file: CaseFile): DateOrder => (file.language === 'en' ? 'mdy' : null);

export class VerificationDialog extends CaseDialog {
  constructor(services: CaseServices) {
    super(VERIFICATION_DIALOG, services);
    this.addDialog(new TextPrompt(LAST4, answerReader(readLast4, services.caseState, 'verification.bad_last4')));
    this.addDialog(new TextPrompt(DOB, answerReader(readDateOfBirth, services.caseState, 'verification.bad_dob', dateOrder)));
    this.addDialog(
      new WaterfallDialog(STEPS, [this.askLast4.bind(this), this.askDateOfBirth.bind(this), this.check.bind(this)]),
    );
    this.initialDialogId = STEPS;
  }

  private async askLast4(step: WaterfallStepContext) {
    const file = await this.caseOf(step.context);
    expect(file, 'verification_last4');
    return step.prompt(LAST4, { prompt: message(file.language, 'verification.ask_last4') });
  }

  private async askDateOfBirth(step: WaterfallStepContext) {
    const file = await this.caseOf(step.context);
    const last4 = readLast4(String(step.result));
    holdLast4(file, last4 === null ? null : this.services.answers.seal(step.context.activity.conversation.id, last4));
    expect(file, 'verification_dob');
    return step.prompt(DOB, { prompt: message(file.language, 'verification.ask_dob') });
  }

  private async check(step: WaterfallStepContext) {
    const file = await this.caseOf(step.context);
    const sealed = takeLast4(file);
    const last4 = (sealed && this.services.answers.open(step.context.activity.conversation.id, sealed)) ?? '';
    const dateOfBirth = readDateOfBirth(String(step.result), dateOrder(file)) ?? '';
    expect(file, 'none');
    const record = await this.services.accounts.verify({
      accountRef: this.services.claimedAccount(step.context),
      last4,
      dateOfBirth,
    });
    if (record) {
      await this.services.audit.verification(step.context, 'success', file.verification.attempts + 1, record.account.accountId);
      if (record.variant) await this.services.audit.variant(step.context, record.account.accountId, record.variant);
      verified(file, record.account.accountId);
      // Only the order is kept, never the date: "04/18/1990" → English dates written 12/11/2026.
      writesDates(file, dateOrderWritten(String(step.result), dateOrder(file)) ?? file.dateStyle);
      await say(step.context, file.language, 'verification.ok');
      await emit(step.context, 'verified', { accountId: record.account.accountId, policyId: record.policyId });
      return step.endDialog(true);
    }
    const attempts = failedVerification(file);
    const left = this.services.settings.maxVerificationAttempts - attempts;
    await this.services.audit.verification(step.context, left <= 0 ? 'locked_out' : 'failure', attempts, null);
    if (left <= 0) {
      lockOut(file);
      return this.handOff(step, {
        reason: 'verification_failed',
        urgency: 'normal',
        authorityNeeded: null,
        ruleIds: ['config:VERIFICATION_MAX_ATTEMPTS'],
      });
    }
    await say(step.context, file.language, 'verification.mismatch', { left });
    return step.replaceDialog(STEPS);
  }
}
