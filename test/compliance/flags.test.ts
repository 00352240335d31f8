/**
 * Flags are raised live, as the conversation happens: a whole negotiation by the real bot raises
 * none (every amount it says is vouched for by a policy output or an account fact), while a
 * forbidden phrase or an unvouched amount in a message raises one.
 */
import { describe, expect, it } from 'vitest';
import { harness, type Harness } from '../dialogs/harness.js';

async function flags(h: Harness, conversationId: string) {
  return (await h.forbear.transcripts.read(conversationId)).flatMap((r) => (r.kind === 'decision' && r.payload.type === 'flag' ? [r.payload] : []));
}

describe('live compliance flags', () => {
  it('a full negotiation with balance questions raises no flag, in Chinese and English', async () => {
    const h = await harness();
    const scripts: [string, string, string[]][] = [
      ['clean-zh', 'zh-CN', ['我欠多少钱', '4821', '1988-03-14', '我欠多少钱', '最低还款是多少', '失业了', '月收入八千', '开支三千', '对', '其他方案', '接受', '同意']],
      ['clean-en', 'en', ['9012', '1990-04-18', 'what are the interest and fees?', 'I lost my job', 'I make 4000 a month', 'rent 1500', 'yes', 'I can only pay 500 a month', 'Accept', 'I agree']],
      ['clean-promise', 'zh-CN', ['4821', '1988-03-14', '我明天还2000']],
    ];
    for (const [id, locale, lines] of scripts) {
      await h.open(id, { locale });
      for (const line of lines) await h.say(id, line);
      expect(await flags(h, id), id).toEqual([]);
    }
  });

  it('a forbidden phrase or an amount no policy output vouches for is flagged on the message that said it', async () => {
    const h = await harness();
    await h.open('planted', { locale: 'zh-CN' });
    await h.say('planted', '4821');
    await h.say('planted', '1988-03-14');
    await h.adapter.continueConversation({ conversation: { id: 'planted', isGroup: false, conversationType: 'personal', name: '' } }, async (context) => {
      await context.sendActivity('再不还钱就让你坐牢，你必须今天还 ¥9,999.00');
    });
    // Flags are raised at the end of a turn that spoke.
    const raised = await flags(h, 'planted');
    expect(raised.map((f) => f.flag).sort()).toEqual(['amount_mismatch', 'forbidden_phrase']);
    const summary = await h.forbear.transcripts.listConversations({ flag: 'forbidden_phrase' });
    expect(summary.map((s) => s.conversationId)).toContain('planted');
  });
});
