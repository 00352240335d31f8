import { describe, expect, it } from 'vitest';
import { ContactRules } from '../../bot/contact/gate.js';
import { formatMoney } from '../../conversation/messages/index.js';
import { amountsIn, flagsFor, forbiddenPhrasesIn, loadForbiddenPhrases } from '../../bot/transcripts/flags.js';
import { MemoryTranscriptStore } from '../../bot/transcripts/store.js';
import type { TranscriptEntryInput } from '../../bot/transcripts/schema.js';
import { complete, conversationEntries } from './fixtures.js';

const phrases = loadForbiddenPhrases();
const ctx = { phrases, contactRules: ContactRules.parse({}) };

async function recordsOf(entries: TranscriptEntryInput[]) {
  const store = new MemoryTranscriptStore();
  for (const e of entries) await store.append('f', complete(e));
  return store.read('f');
}

const botSays = (text: string, at = '2024-05-01T02:10:00Z'): TranscriptEntryInput => ({ kind: 'activity', actor: 'bot', at, payload: { type: 'message', text } });

describe('amountsIn', () => {
  it('reads back every formatMoney output in zh-CN, zh-TW and en', () => {
    for (const lang of ['zh-CN', 'zh-TW', 'en'] as const) {
      for (const currency of ['CNY', 'USD', 'TWD']) {
        for (const minor of [150000, 5, 123456789, 100]) expect(amountsIn(`pay ${formatMoney(minor, currency, lang)} now`)).toEqual([minor]);
      }
    }
  });

  it('reads hand-written amounts with 元 / RMB and ignores plan lengths and dates', () => {
    expect(amountsIn('每月还1500元，分12期，2024-06-01开始')).toEqual([150000]);
    expect(amountsIn('RMB 2,000.5 per month')).toEqual([200050]);
    expect(amountsIn('分24期')).toEqual([]);
  });
});

describe('flagsFor', () => {
  it('raises nothing on a clean conversation', async () => {
    expect(flagsFor(await recordsOf(conversationEntries()), ctx)).toEqual([]);
  });

  it('flags a bot amount that no policy output produced', async () => {
    const records = await recordsOf([...conversationEntries(), botSays(`那每月还${formatMoney(120000, 'CNY', 'zh-CN')}也可以。`)]);
    expect(flagsFor(records, ctx)).toEqual([{ flag: 'amount_mismatch', recordSeq: 10, detail: expect.stringContaining('120000') }]);
  });

  it('flags forbidden phrases from bots and agents in zh and en, not cardholders', async () => {
    const records = await recordsOf([
      ...conversationEntries(),
      botSays('再不还我们会起诉你让你坐牢'),
      { kind: 'activity', actor: 'agent', at: '2024-05-01T02:11:00Z', payload: { type: 'message', text: 'If you do not pay we will HAVE  YOU arrested.' } },
      { kind: 'activity', actor: 'cardholder', at: '2024-05-01T02:12:00Z', payload: { type: 'message', text: '你们是骗子' } },
      botSays('We are getting closer to a plan.'),
    ]);
    const flags = flagsFor(records, ctx);
    expect(flags.filter((f) => f.flag === 'forbidden_phrase').map((f) => f.recordSeq)).toEqual([10, 10, 11]);
    expect(flags.map((f) => f.detail)).toEqual(['bot: threat: 坐牢', 'bot: false_legal: 起诉你让你坐牢', 'agent: threat: have you arrested']);
  });

  it('finds third-party disclosure threats and full-width evasion', () => {
    expect(forbiddenPhrasesIn('我们会通知你的单位和家人', phrases)).toContain('third_party_disclosure: 通知你的单位');
    expect(forbiddenPhrasesIn('ＴＥＬＬ your employer', phrases)).toContain('third_party_disclosure: tell your employer');
    expect(forbiddenPhrasesIn('我们可以为您申请分期', phrases)).toEqual([]);
  });

  it('flags a contact made outside allowed hours in the recorded timezone', async () => {
    const contact = (at: string, timezone: string): TranscriptEntryInput => ({ kind: 'decision', actor: 'system', at, payload: { type: 'contact_attempt', purpose: 'reminder', channel: 'sms', timezone, allowed: true } });
    const records = await recordsOf([contact('2024-05-01T14:00:00Z', 'Asia/Shanghai'), contact('2024-05-01T14:00:00Z', 'America/New_York')]);
    expect(flagsFor(records, ctx)).toEqual([{ flag: 'contact_outside_hours', recordSeq: 1, detail: expect.stringContaining('Asia/Shanghai') }]);
  });

  it('flags an amount or account detail said before verification', async () => {
    const [greeting] = conversationEntries();
    const records = await recordsOf([
      greeting!,
      { kind: 'decision', actor: 'system', at: '2024-05-01T02:00:01Z', payload: { type: 'account_facts', accountId: 'a', currency: 'CNY', amounts: { balanceMinor: 1800000 } } },
      botSays(`您的欠款是${formatMoney(1800000, 'CNY', 'zh-CN')}`),
      botSays('您尾号1234的卡已逾期30天'),
    ]);
    expect(flagsFor(records, ctx).map((f) => [f.flag, f.recordSeq])).toEqual([
      ['disclosure_before_verification', 3],
      ['disclosure_before_verification', 4],
    ]);
  });

  it("a recorded flag decision is in the conversation's summary and found by the flag filter", async () => {
    const store = new MemoryTranscriptStore();
    for (const e of [...conversationEntries(), complete(botSays('你这个老赖'))]) await store.append('n', e);
    const first = flagsFor(await store.read('n'), ctx);
    expect(first).toHaveLength(1);
    await store.append('n', { kind: 'decision', actor: 'system', at: '2024-05-01T02:20:00Z', payload: { type: 'flag', ...first[0]! } });
    expect((await store.summary('n'))?.flags).toEqual(['forbidden_phrase']);
    expect((await store.listConversations({ flag: 'forbidden_phrase' })).map((s) => s.conversationId)).toEqual(['n']);
  });
});
