import { Chain } from '../../bot/transcripts/chain.js';
import { MemoryCheckpointLog, type CheckpointLog } from '../../bot/transcripts/checkpoints.js';
import { TranscriptEntry, type TranscriptEntryInput } from '../../bot/transcripts/schema.js';
import type { Sealing } from '../../bot/transcripts/store.js';

/**
 * An entry as the bot builds it, from a test's shorthand: the schema fills the defaults the test
 * leaves out and normalises the instant (the stores seal entries as given, without validating them).
 */
export const complete = (entry: TranscriptEntryInput): TranscriptEntry => TranscriptEntry.parse(entry);

/** A realistic short conversation: verification, understanding, evaluation, offer, consent, arrangement. */
export function conversationEntries(startIso = '2024-05-01T02:00:00.000Z'): TranscriptEntry[] {
  const at = (s: number) => new Date(Date.parse(startIso) + s * 1000).toISOString();
  const entries: TranscriptEntryInput[] = [
    { kind: 'activity', actor: 'bot', at: at(0), payload: { type: 'message', text: '您好，我是信用卡协商助手。', messageKey: 'greeting', language: 'zh-CN' } },
    { kind: 'activity', actor: 'cardholder', at: at(5), payload: { type: 'message', text: '[REDACTED]', language: 'zh-CN' } },
    { kind: 'decision', actor: 'system', at: at(6), payload: { type: 'verification', result: 'success', attempt: 1, accountId: 'acct-1' } },
    {
      kind: 'decision',
      actor: 'bot',
      at: at(10),
      payload: {
        type: 'understanding',
        engine: 'rules',
        promptVersion: null,
        intent: 'request_installment',
        entities: { amountMinor: 150000, months: 12, date: null, hardshipReason: 'job_loss', incomeMinor: null, expensesMinor: null, concession: null, percentBps: null, deferralDays: null, optionIndex: null },
        signals: [],
        confidence: 0.9,
        language: 'zh-CN',
        redactedText: '我失业了，每月还1500，分12期',
      },
    },
    {
      kind: 'decision',
      actor: 'bot',
      at: at(11),
      payload: {
        type: 'policy_evaluation',
        policyId: 'default-cn',
        policyVersion: '2024.1',
        authority: 'bot',
        outcome: 'counter',
        ruleIds: ['installment.max-months'],
        reasons: [{ code: 'months_ok', ruleId: 'installment.max-months' }],
        envelope: { maxMonths: 24, minMonthlyPaymentMinor: 50000 },
        proposal: { months: 12, monthlyPaymentMinor: 150000 },
        offerIds: ['installment-12'],
        amounts: { monthlyPaymentMinor: 150000, totalRepayableMinor: 1800000 },
      },
    },
    {
      kind: 'decision',
      actor: 'bot',
      at: at(12),
      payload: {
        type: 'offer_shown',
        offerId: 'installment-12',
        policyId: 'default-cn',
        policyVersion: '2024.1',
        ruleIds: ['installment.max-months'],
        currency: 'CNY',
        amounts: { monthlyPaymentMinor: 150000, totalRepayableMinor: 1800000 },
        messageKey: 'offer.installment',
        text: '可以分12期，每月还¥1,500.00，共¥18,000.00。',
      },
    },
    { kind: 'activity', actor: 'bot', at: at(12), payload: { type: 'message', text: '可以分12期，每月还¥1,500.00，共¥18,000.00。', messageKey: 'offer.installment', language: 'zh-CN', basedOn: [5, 6] } },
    { kind: 'decision', actor: 'cardholder', at: at(20), payload: { type: 'consent', offerId: 'installment-12', redactedText: '同意' } },
    { kind: 'decision', actor: 'bot', at: at(21), payload: { type: 'arrangement_created', reference: 'ARR-0001', offerId: 'installment-12' } },
  ];
  return entries.map(complete);
}

/** The key the tests seal with; production reads TRANSCRIPT_HMAC_KEY. */
export const TEST_CHAIN_KEY = 'test-chain-key-test-chain-key-0123456789';

/** A fixed test key and, unless given, in-memory checkpoints. */
export function testSealing(checkpoints: CheckpointLog = new MemoryCheckpointLog()): Sealing {
  return { chain: new Chain(TEST_CHAIN_KEY), checkpoints };
}
