/**
 * Concluding an arrangement after a failed attempt: the arrangement was stored, then the turn failed
 * before its records and state were (Redis gone at the end of the turn). The retried consent finds
 * the arrangement already made and must still record the consent and the arrangement in the
 * transcript — once — or compliance would see an arrangement nobody agreed to.
 */
import { TestAdapter, TurnContext, type Activity } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { concludeArrangement, type ConclusionPorts } from '../../conversation/conclude.js';
import { newCase, type CaseFile } from '../../conversation/case.js';
import { fixedClock } from '../../conversation/clock.js';
import type { Auditor } from '../../conversation/audit.js';
import { MemoryArrangementRepository } from '../../bot/storage/arrangements.js';
import { firstOffer } from '../lifecycle/fixtures.js';

const activity = (id: string): Partial<Activity> => ({
  type: 'message',
  text: '同意',
  channelId: 'directline',
  conversation: { id, isGroup: false, conversationType: 'personal', name: '' },
  from: { id: 'cardholder', name: '' },
  recipient: { id: 'bot', name: '' },
});

function setUp() {
  const agreements: string[] = [];
  const audit = { agreement: async (_c: TurnContext, _o: unknown, _t: string, reference: string) => void agreements.push(reference) } as unknown as Auditor;
  const ports: ConclusionPorts = { arrangements: new MemoryArrangementRepository(), audit, clock: fixedClock('2026-11-22T02:00:00Z') };
  const conclusion = (file: CaseFile) => ({
    file,
    offer: firstOffer('cn-m2-li', '2026-11-22'),
    accountId: 'cn-m2-li',
    currency: 'CNY',
    policy: { id: 'default-cn', version: '1' },
    consentText: '同意',
    approvedBy: null,
    variant: null,
  });
  const turn = (id: string) => new TurnContext(new TestAdapter(), activity(id));
  return { agreements, ports, conclusion, turn };
}

describe('concludeArrangement', () => {
  it('records the consent on the retry of a turn that stored the arrangement and then failed', async () => {
    const { agreements, ports, conclusion, turn } = setUp();
    // The failed turn: the arrangement is stored, its records and its state are thrown away.
    await ports.arrangements.createOnce('conv-retry', (reference) => ({
      reference,
      conversationId: 'conv-retry',
      accountId: 'cn-m2-li',
      channel: 'directline',
      language: 'zh-CN',
      dateStyle: 'iso',
      offer: firstOffer('cn-m2-li', '2026-11-22'),
      policyId: 'default-cn',
      policyVersion: '1',
      variant: null,
      consentText: '同意',
      consentAt: '2026-11-22T02:00:00.000Z',
      approvedBy: null,
      createdAt: '2026-11-22T02:00:00.000Z',
    }));
    const file = newCase('zh-CN');
    const arrangement = await concludeArrangement(turn('conv-retry'), ports, conclusion(file));
    expect(agreements).toEqual([arrangement.reference]);
    expect(file.arrangementReference).toBe(arrangement.reference);
  });

  it('records a consent once: a repeated "同意" on a concluded conversation records nothing more', async () => {
    const { agreements, ports, conclusion, turn } = setUp();
    const file = newCase('zh-CN');
    const first = await concludeArrangement(turn('conv-once'), ports, conclusion(file));
    const again = await concludeArrangement(turn('conv-once'), ports, conclusion(file));
    expect(again.reference).toBe(first.reference);
    expect(agreements).toEqual([first.reference]);
  });
});
