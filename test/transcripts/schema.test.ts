import { describe, expect, it } from 'vitest';
import { DecisionPayload, TranscriptEntry, TranscriptRecord, type DecisionType } from '../../bot/transcripts/schema.js';
import { MemoryTranscriptStore, verifyConversation } from '../../bot/transcripts/store.js';

const offer = {
  offerId: 'installment-12',
  rank: 1,
  authority: 'bot',
  installment: { months: 12, annualRateBps: 0, interestFrozen: true, monthlyPaymentMinor: 150000, firstDueDate: '2024-06-01', schedule: [{ n: 1, dueDate: '2024-06-01', amountMinor: 150000, principalMinor: 150000, interestMinor: 0 }] },
  deferral: null,
  interestWaiver: null,
  feeWaiver: null,
  settlement: null,
  balanceMinor: 1800000,
  totalRepayableMinor: 1800000,
  concessionMinor: 0,
  largestPaymentMinor: 150000,
  ruleIds: ['installment.max-months'],
};

/** One example of every decision kind, as a dialog would record it. */
const EXAMPLES: Record<DecisionType, unknown> = {
  understanding: {
    type: 'understanding', engine: 'llm', promptVersion: 'v1', intent: 'cannot_pay',
    entities: { amountMinor: null, months: null, date: null, hardshipReason: 'illness', incomeMinor: null, expensesMinor: null, concession: null, percentBps: null, deferralDays: null, optionIndex: null },
    signals: ['serious_illness'], confidence: 0.8, language: 'zh-CN', redactedText: '[HEALTH:serious_illness]',
  },
  policy_evaluation: {
    type: 'policy_evaluation', policyId: 'default-cn', policyVersion: '2024.1', authority: 'bot', outcome: 'accept', ruleIds: ['r1'],
    reasons: [{ code: 'within_envelope', ruleId: 'r1' }], envelope: { maxMonths: 24, interestFrozen: true, note: null }, proposal: { months: 12 }, offerIds: ['installment-12'], amounts: { monthlyPaymentMinor: 150000 },
  },
  offer_shown: { type: 'offer_shown', offerId: 'installment-12', policyId: 'default-cn', policyVersion: '2024.1', ruleIds: ['r1'], currency: 'CNY', amounts: { monthlyPaymentMinor: 150000 }, messageKey: 'offer.installment', text: '每月¥1,500.00', offer },
  consent: { type: 'consent', offerId: 'installment-12', redactedText: '我同意' },
  arrangement_created: { type: 'arrangement_created', reference: 'ARR-1', offerId: 'installment-12' },
  handoff: { type: 'handoff', reason: 'vulnerability', urgency: 'critical', authorityNeeded: null, ruleIds: ['trigger.self_harm'] },
  agent_action: { type: 'agent_action', agentId: 'agent-7', role: 'supervisor', action: 'approve_offer', authority: 'supervisor', offerId: 'installment-12', note: null },
  verification: { type: 'verification', result: 'failure', attempt: 2, accountId: null },
  account_facts: { type: 'account_facts', accountId: 'acct-1', currency: 'CNY', amounts: { balanceMinor: 1800000 } },
  contact_attempt: { type: 'contact_attempt', purpose: 'reminder', channel: 'sms', timezone: 'Asia/Shanghai', allowed: false, reason: 'quiet_hours' },
  promise_to_pay: { type: 'promise_to_pay', date: '2024-06-10', amountMinor: 50000 },
  variant: { type: 'variant', accountId: 'acct-1', arm: 'challenger', policyRef: 'default-cn@2026.3', policyId: 'default-cn', policyVersion: '2026.3', championId: 'default-cn', bucket: 'M2', shareBps: 1000 },
  feedback_asked: { type: 'feedback_asked', after: 'agreement', variant: 'challenger default-cn@2026.3' },
  feedback: { type: 'feedback', satisfaction: 4, fair: null, variant: null },
  stop_contact: { type: 'stop_contact', source: 'cardholder', redactedText: '不要再联系我' },
  flag: { type: 'flag', flag: 'forbidden_phrase', recordSeq: 3, detail: 'bot: threat: 坐牢' },
  ledger: {
    type: 'ledger', reference: 'FB-2026-AAAA-BBBB',
    event: { type: 'payment_applied', on: '2024-06-10', paymentId: 'pay-1', amountMinor: 150000, allocations: [{ n: 1, amountMinor: 150000 }], excessMinor: 0 },
    amounts: { amountMinor: 150000 },
  },
};

describe('decision records', () => {
  it('covers every decision kind of the union', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual(DecisionPayload.options.map((o) => o.shape.type.value).sort());
  });

  it('round-trips every kind through append, storage and read, and the chain verifies', async () => {
    const store = new MemoryTranscriptStore();
    const types = Object.keys(EXAMPLES) as DecisionType[];
    for (const [i, type] of types.entries()) {
      await store.append('all-kinds', { kind: 'decision', actor: 'bot', at: new Date(Date.UTC(2024, 4, 1, 0, 0, i)).toISOString(), payload: EXAMPLES[type] as never });
    }
    const records = await store.read('all-kinds');
    expect(records.map((r) => r.payload.type)).toEqual(types);
    for (const [i, r] of records.entries()) {
      expect(r.payload).toEqual(DecisionPayload.parse(EXAMPLES[types[i]!]));
      expect(TranscriptRecord.parse(JSON.parse(JSON.stringify(r)))).toEqual(r);
    }
    expect(await verifyConversation(store, 'all-kinds')).toEqual({ ok: true, records: types.length });
  });

  it('rejects fields that would carry secrets: verification answers, unknown keys', () => {
    const entry = (payload: unknown) => TranscriptEntry.safeParse({ kind: 'decision', actor: 'system', at: '2024-05-01T00:00:00Z', payload });
    expect(entry({ type: 'verification', result: 'success', attempt: 1, accountId: 'a', answers: { last4: '1234' } }).success).toBe(false);
    expect(entry({ type: 'consent', offerId: 'o', redactedText: 'ok', rawText: 'secret' }).success).toBe(false);
    expect(entry({ type: 'teleport' }).success).toBe(false);
  });

  it('normalises instants to UTC milliseconds so they sort as text', () => {
    const e = TranscriptEntry.parse({ kind: 'activity', actor: 'bot', at: '2024-05-01T08:00:00+08:00', payload: { type: 'message', text: 'hi' } });
    expect(e.at).toBe('2024-05-01T00:00:00.000Z');
  });
});
