/**
 * The verification step on its own, through botbuilder-testing's DialogTestClient: the dialog is
 * driven turn by turn exactly as a channel would, with the demo accounts behind the port.
 */
import { ConversationState, MemoryStorage, type Middleware } from 'botbuilder';
import { DialogTestClient } from 'botbuilder-testing';
import { describe, expect, it } from 'vitest';
import { DemoAccountService } from '../../bot/accounts/demoAccountService.js';
import { answerSeal } from '../../bot/privacy/answerSeal.js';
import type { Auditor } from '../../conversation/audit.js';
import { newCase, type CaseFile } from '../../conversation/case.js';
import { fixedClock } from '../../conversation/clock.js';
import { MemoryArrangementRepository } from '../../bot/storage/arrangements.js';
import type { HandoffDesk } from '../../conversation/handoff.js';
import type { CaseServices } from '../../dialogs/services.js';
import { VerificationDialog } from '../../dialogs/verificationDialog.js';
import { loadPolicy } from '../../policy/load.js';
import type { Handoff } from '../../policy/model.js';

function setup(maxAttempts = 3) {
  const conversationState = new ConversationState(new MemoryStorage());
  const caseState = conversationState.createProperty<CaseFile>('case');
  const clock = fixedClock('2026-11-22T02:00:00Z');
  const handoffs: Handoff[] = [];
  const verifications: string[] = [];
  const desk: HandoffDesk = {
    open: async (_c, _f, h) => {
      handoffs.push(h);
      return { available: true, position: 0, waitMinutes: 1 };
    },
  };
  const audit = new Proxy({} as Auditor, {
    get: (_t, method) => async (_ctx: unknown, result: unknown) => {
      if (method === 'verification') verifications.push(String(result));
    },
  });
  const services: CaseServices = {
    caseState,
    accounts: new DemoAccountService(clock, (id) => loadPolicy(id).timezone),
    answers: answerSeal(),
    policy: loadPolicy,
    arrangements: new MemoryArrangementRepository(),
    desk,
    audit,
    clock,
    claimedAccount: () => null,
    settings: { defaultPolicyId: 'default-cn', maxVerificationAttempts: maxAttempts },
  };
  const caseOnEveryTurn: Middleware = {
    onTurn: async (context, next) => {
      await caseState.get(context, newCase('en'));
      await next();
      await conversationState.saveChanges(context);
    },
  };
  const client = new DialogTestClient('test', new VerificationDialog(services), undefined, [caseOnEveryTurn], conversationState);
  /** Every reply of the turn, joined: DialogTestClient hands them out one at a time. */
  const say = async (text: string) => {
    const replies = [await client.sendActivity(text)];
    for (let next = client.getNextReply(); next; next = client.getNextReply()) replies.push(next);
    return replies.map((r) => r?.text ?? '').join('\n');
  };
  return { client, say, handoffs, verifications };
}

describe('VerificationDialog', () => {
  it('asks for the last 4 digits, then the date of birth, and verifies the demo cardholder', async () => {
    const { client, say, verifications } = setup();
    expect(await say('hello')).toMatch(/last 4 digits/);
    expect(await say('9012')).toMatch(/date of birth/);
    expect(await say('1990-04-18')).toMatch(/verified/);
    expect(client.dialogTurnResult.status).toBe('complete');
    expect(verifications).toEqual(['success']);
  });

  it('re-asks an unreadable answer without counting it as a failed attempt', async () => {
    const { say, verifications } = setup();
    await say('hello');
    expect(await say('my card ends in 12')).toMatch(/just the last 4 digits/);
    expect(await say('9012')).toMatch(/date of birth/);
    expect(await say('18/04/90')).toMatch(/year-month-day/);
    expect(verifications).toEqual([]);
  });

  it('locks out after the configured number of mismatches and hands off', async () => {
    const { say, handoffs, verifications } = setup(2);
    await say('hello');
    await say('9012');
    expect(await say('1990-04-19')).toMatch(/1 attempt/);
    await say('9012');
    const reply = await say('1990-04-20');
    expect(reply).toMatch(/security/);
    expect(handoffs.map((h) => h.reason)).toEqual(['verification_failed']);
    expect(verifications).toEqual(['failure', 'locked_out']);
  });
});
