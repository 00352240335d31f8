/**
 * Every decision kind a transcript can hold has a readable title in the review page's language.
 * A ledger decision (a payment matched, an instalment late) had none: the compliance review of any
 * conversation whose arrangement saw a payment threw "message catalog en has no key
 * transcript.decision.ledger" (found by typing message keys).
 */
import { describe, expect, it } from 'vitest';
import { readableDecision } from '../../bot/transcripts/readable.js';
import { UnderstandingDecision, VerificationDecision, type TranscriptRecord } from '../../bot/transcripts/schema.js';
import { Intent } from '../../conversation/understanding.js';

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
    expect(readableDecision(record, 'en', null).title).toBe('Ledger change');
    expect(readableDecision(record, 'zh-CN', null).title).toBe('还款账目变动');
    expect(readableDecision(record, 'zh-TW', null).title).toBe('還款帳目變動');
  });

  it('a handoff and an understanding are read in words, not codes', () => {
    const base = { kind: 'decision', actor: 'bot', at: '2026-11-30T10:00:00.000Z', conversationId: 'c1', prevHash: 'a'.repeat(64), hash: 'b'.repeat(64) } as const;
    const handoff: Decision = {
      ...base,
      seq: 3,
      payload: { type: 'handoff', reason: 'vulnerability', urgency: 'critical', authorityNeeded: null, ruleIds: ['default-cn@2026.2#trigger.self_harm'], variant: null },
    };
    const values = (record: Decision, lang: 'zh-CN' | 'zh-TW' | 'en') => readableDecision(record, lang, null).fields.map((f) => f.value);
    expect(values(handoff, 'zh-CN')).toEqual(['弱势客户', '紧急', 'default-cn@2026.2#trigger.self_harm']);
    expect(values(handoff, 'zh-TW').slice(0, 2)).toEqual(['弱勢客戶', '緊急']);
    expect(values(handoff, 'en').slice(0, 2)).toEqual(['Vulnerability', 'critical']);
    const understanding: Decision = {
      ...base,
      seq: 2,
      payload: {
        type: 'understanding',
        engine: 'classifier',
        promptVersion: null,
        intent: 'request_installment',
        entities: { amountMinor: null, months: null, date: null, hardshipReason: null, incomeMinor: null, expensesMinor: null, concession: null, percentBps: null, deferralDays: null, optionIndex: null },
        signals: ['self_harm'],
        confidence: 0.9,
        language: 'zh-CN',
        redactedText: '[redacted]',
      },
    };
    expect(values(understanding, 'zh-CN')).toEqual(['要求分期', '自伤风险', '意图分类模型']);
    expect(values(understanding, 'zh-TW')).toEqual(['要求分期', '自傷風險', '意圖分類模型']);
    expect(values(understanding, 'en')).toEqual(['asks for instalments', 'self-harm', 'intent classifier']);
  });

  it('a variant, a feedback question and a contact attempt are read in words, not field names', () => {
    const base = { kind: 'decision', actor: 'bot', at: '2026-11-30T10:00:00.000Z', conversationId: 'c1', seq: 4, prevHash: 'a'.repeat(64), hash: 'b'.repeat(64) } as const;
    const read = (payload: Decision['payload'], lang: 'zh-CN' | 'en', currency: string | null = null) => readableDecision({ ...base, payload }, lang, currency).fields.map((f) => `${f.label}: ${f.value}`);
    const variant = { type: 'variant', accountId: 'cn-m2-li', arm: 'champion', policyRef: 'default-cn', policyId: 'default-cn', policyVersion: '2026.2', championId: 'default-cn', bucket: 'M2', shareBps: null } as const;
    expect(read(variant, 'zh-CN')).toEqual(['账户: cn-m2-li', '方案组别: 现行政策 default-cn@2026.2', '逾期阶段: M2']);
    expect(read({ type: 'feedback_asked', after: 'agreement', variant: 'challenger default-cn@2026.3' }, 'en')).toEqual(['Asked after: an agreement', 'Policy variant: challenger (policy on trial) default-cn@2026.3']);
    expect(read({ type: 'contact_attempt', purpose: 'reminder', channel: 'wechat', timezone: 'Asia/Shanghai', allowed: false, reason: 'quiet_hours' }, 'zh-CN')).toEqual(['联系目的: 还款提醒', '渠道: 微信', '时区: Asia/Shanghai', '是否允许: 否', '原因: 在免打扰时段内']);
    // A promise names no currency; the conversation's (its account facts) is shown when known.
    expect(read({ type: 'promise_to_pay', date: '2026-12-01', amountMinor: 123456 }, 'en')).toEqual(['Date: 2026-12-01', 'Amount: 1,234.56']);
    expect(read({ type: 'promise_to_pay', date: '2026-12-01', amountMinor: 123456 }, 'zh-CN', 'CNY')).toEqual(['日期: 2026-12-01', '金额: ¥1,234.56']);
  });

  it('a policy reason\'s comparison in money and percentages, an override\'s reason in words (not minor units, basis points or codes)', () => {
    const base = { kind: 'decision', actor: 'agent', at: '2026-11-30T10:00:00.000Z', conversationId: 'c1', seq: 5, prevHash: 'a'.repeat(64), hash: 'b'.repeat(64) } as const;
    const payload: Extract<Decision['payload'], { type: 'policy_evaluation' }> = {
      type: 'policy_evaluation',
      policyId: 'default-cn',
      policyVersion: '2026.2',
      authority: 'agent',
      outcome: 'counter',
      ruleIds: [],
      reasons: [
        { code: 'settlement_discount_above_limit', ruleId: 'default-cn@2026.2:buckets.M2.agent.settlement.maxDiscountBps', detail: '995200 > 497600' },
        { code: 'fee_waiver_above_limit', ruleId: 'default-cn@2026.2:buckets.M2.agent.feeWaiverMaxBps', detail: '10000 > 5000' },
        { code: 'affordability_override', ruleId: 'default-cn@2026.2:affordabilityOverride.maxShareOfDisposableBps.agent', detail: 'income_recovering' },
        { code: 'months_above_limit', ruleId: 'default-cn@2026.2:buckets.M2.agent.installment.maxMonths', detail: '48 > 36' },
      ],
      envelope: {},
      proposal: null,
      offerIds: [],
      amounts: {},
    };
    const rules = readableDecision({ ...base, payload }, 'zh-CN', 'CNY').fields.find((f) => f.label === '规则')!.value.split('\n');
    expect(rules).toEqual([
      '结清减免超出权限 (¥9,952.00 > ¥4,976.00): default-cn@2026.2:buckets.M2.agent.settlement.maxDiscountBps',
      '违约金减免超出权限 (100% > 50%): default-cn@2026.2:buckets.M2.agent.feeWaiverMaxBps',
      '可负担性例外 (收入即将恢复（有证明）): default-cn@2026.2:affordabilityOverride.maxShareOfDisposableBps.agent',
      '期数超出权限 (48 > 36): default-cn@2026.2:buckets.M2.agent.installment.maxMonths',
    ]);
  });

  it('every intent, engine, agent action and verification result has words in every language (none shown as a code)', () => {
    const base = { kind: 'decision', actor: 'bot', at: '2026-11-30T10:00:00.000Z', conversationId: 'c1', seq: 2, prevHash: 'a'.repeat(64), hash: 'b'.repeat(64) } as const;
    const entities = { amountMinor: null, months: null, date: null, hardshipReason: null, incomeMinor: null, expensesMinor: null, concession: null, percentBps: null, deferralDays: null, optionIndex: null };
    const actions = ['claim', 'message', 'approve_offer', 'approve_refused', 'request_approval', 'approve_request', 'decline_request', 'release', 'transfer', 'note', 'hand_back', 'close', 'promise_callback'];
    for (const lang of ['zh-CN', 'zh-TW', 'en'] as const) {
      for (const intent of Intent.options) {
        for (const engine of UnderstandingDecision.shape.engine.options) {
          const payload = { type: 'understanding' as const, engine, promptVersion: null, intent, entities, signals: [], confidence: 0.9, language: 'zh-CN' as const, redactedText: '' };
          const [said, by] = readableDecision({ ...base, payload }, lang, null).fields.map((f) => f.value);
          expect(said, `${lang} ${intent}`).not.toBe(intent);
          expect(by, `${lang} ${engine}`).not.toBe(engine);
        }
      }
      for (const action of actions) {
        const payload = { type: 'agent_action', agentId: 'li.na', role: 'agent', action, authority: 'agent', offerId: null, note: null } as const;
        expect(readableDecision({ ...base, payload }, lang, null).fields[1]!.value, `${lang} ${action}`).not.toBe(action);
      }
      for (const result of VerificationDecision.shape.result.options) {
        const payload = { type: 'verification', result, attempt: 1, accountId: null } as const;
        expect(readableDecision({ ...base, payload }, lang, null).fields[0]!.value, `${lang} ${result}`).not.toBe(result);
      }
    }
  });
});
