/**
 * Every decision kind a transcript can hold has a readable title in the review page's language.
 * A ledger decision (a payment matched, an instalment late) had none: the compliance review of any
 * conversation whose arrangement saw a payment threw "message catalog en has no key
 * transcript.decision.ledger" (found by typing message keys).
 */
import { describe, expect, it } from 'vitest';
import { readableDecision } from '../../bot/transcripts/readable.js';
import type { TranscriptRecord } from '../../bot/transcripts/schema.js';

type Decision = Extract<TranscriptRecord, { kind: 'decision' }>;

describe('readable decisions', () => {
  it('a ledger change has a title in every language', () => {
    const record: Decision = {
      kind: 'decision',
      actor: 'system',
      at: '2026-11-30T10:00:00.000Z',
      conversationId: 'c1',
      seq: 7,
      prevHash: 'a'.repeat(64),
      hash: 'b'.repeat(64),
      payload: { type: 'ledger', reference: 'FB-1', event: { type: 'completed', on: '2026-11-30' }, amounts: {} },
    };
    expect(readableDecision(record, 'en').title).toBe('Ledger change');
    expect(readableDecision(record, 'zh-CN').title).toBe('还款账目变动');
    expect(readableDecision(record, 'zh-TW').title).toBe('還款帳目變動');
  });
});
