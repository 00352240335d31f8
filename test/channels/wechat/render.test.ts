import { describe, expect, it } from 'vitest';
import { CardFactory, MessageFactory } from 'botbuilder';
import { languageOf, pickChoice, renderActivity } from '../../../bot/channels/wechat/render.js';
import { consentActivity } from '../../../dialogs/speak.js';
import { evaluate } from '../../../policy/index.js';
import { loadPolicy } from '../../../policy/load.js';

/** A real offer from the shipped policy: a `months`-month plan for a demo-like M1 account. */
function offerFor(months: number) {
  const account = { accountId: 'a', currency: 'CNY', daysPastDue: 12, principalMinor: 2_000_000, interestMinor: 300_000, feesMinor: 99_200, minimumPaymentMinor: 120_000 };
  const assessment = { asOf: '2026-11-22', hardshipReason: 'job_loss' as const, monthlyIncomeMinor: 800_000, essentialExpensesMinor: 300_000, expectedDurationMonths: null, signals: [] };
  const decision = evaluate(loadPolicy('default-cn'), account, assessment, { months }, { authority: 'supervisor' });
  if (!decision.offer) throw new Error(`no offer: ${decision.outcome}`);
  return decision.offer;
}

describe('renderActivity', () => {
  it('skips what a follower never sees', () => {
    expect(renderActivity({ type: 'typing' }, 'zh-CN')).toBeUndefined();
    expect(renderActivity({ type: 'message', text: '  ' }, 'zh-CN')).toBeUndefined();
  });

  it('numbers suggested actions in the activity language', () => {
    const activity = MessageFactory.suggestedActions(['Accept', 'Other options'], 'Here is an offer.');
    activity.locale = 'en-US';
    expect(renderActivity(activity, 'zh-CN')).toEqual({
      text: 'Here is an offer.\n\nReply 1 for Accept\nReply 2 for Other options',
      choices: [
        { title: 'Accept', value: 'Accept' },
        { title: 'Other options', value: 'Other options' },
      ],
    });
    activity.locale = 'zh-HK';
    expect(renderActivity(activity, 'zh-CN')!.text).toContain('回覆 1 Accept');
  });

  it("labels a person's message with their name, so a follower never takes it for the bot", () => {
    const activity = { type: 'message', text: '您好，我是小李。', locale: 'zh-CN', channelData: { agent: 'li.na' } };
    expect(renderActivity(activity, 'zh-CN')!.text).toBe('【客服 li.na】您好，我是小李。');
    expect(renderActivity({ ...activity, locale: 'en-US' }, 'zh-CN')!.text).toBe('[Agent li.na]您好，我是小李。');
  });

  it('does not label a notice that names the person itself (joined / left), so the name is said once', () => {
    const joined = { type: 'message', text: '客服 林晓 已加入对话，接下来由真人为您服务。', locale: 'zh-CN', channelData: { agent: '林晓', notice: true } };
    expect(renderActivity(joined, 'zh-CN')!.text).toBe('客服 林晓 已加入对话，接下来由真人为您服务。');
  });

  it('prints the whole payment schedule a Web Chat card keeps folded, in order, with the consent choices', () => {
    const offer = offerFor(14);
    const rendered = renderActivity({ ...consentActivity(offer, 'CNY', 'zh-CN'), locale: 'zh-CN' }, 'zh-CN')!;
    const lines = rendered.text.split('\n').filter((l) => l.startsWith('第 ') && l.includes('：'));
    expect(lines.map((l) => Number(/^第 (\d+) 期/.exec(l)![1]))).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    expect(rendered.text.indexOf('未按期还款')).toBeLessThan(rendered.text.indexOf('回复 1 同意'));
    expect(rendered.choices.map((c) => c.title)).toEqual(['同意', '暂不同意']);
  });

  it('renders a hero card as title and text lines, its buttons as choices and links as text', () => {
    const card = CardFactory.heroCard('分期方案', '每月还款 ¥1,000.00，共 12 期', undefined, [
      { type: 'imBack', title: '接受', value: '接受' },
      { type: 'openUrl', title: '条款', value: 'https://bank.example/terms' },
    ]);
    const rendered = renderActivity(MessageFactory.attachment(card), 'zh-CN')!;
    expect(rendered.text).toBe('分期方案\n每月还款 ¥1,000.00，共 12 期\n条款 https://bank.example/terms\n\n回复 1 接受');
    expect(rendered.choices).toEqual([{ title: '接受', value: '接受' }]);
  });

  it('renders an adaptive card: text blocks, facts, column rows, nested containers and submit actions', () => {
    const card = CardFactory.adaptiveCard({
      type: 'AdaptiveCard',
      version: '1.5',
      body: [
        { type: 'TextBlock', text: '还款计划', weight: 'Bolder' },
        { type: 'FactSet', facts: [{ title: '参考号', value: 'FB-123' }] },
        {
          type: 'Container',
          items: [
            { type: 'ColumnSet', columns: [{ items: [{ type: 'TextBlock', text: '第1期' }] }, { items: [{ type: 'TextBlock', text: '¥500.00' }] }] },
            { type: 'Image', url: 'https://bank.example/logo.png' },
          ],
        },
      ],
      actions: [{ type: 'Action.Submit', title: '确认', data: { action: 'accept' } }],
    });
    const rendered = renderActivity(MessageFactory.attachment(card), 'zh-CN')!;
    expect(rendered.text).toBe('还款计划\n参考号：FB-123\n第1期  ¥500.00\n\n回复 1 确认');
    expect(rendered.choices).toEqual([{ title: '确认', value: { action: 'accept' } }]);
  });
});

describe('pickChoice', () => {
  const choices = [
    { title: 'A', value: 'a' },
    { title: 'B', value: 'b' },
  ];
  it('maps half- and full-width digits to the numbered choice and nothing else', () => {
    expect(pickChoice('1', choices)).toEqual(choices[0]);
    expect(pickChoice(' ２ ', choices)).toEqual(choices[1]);
    expect(pickChoice('3', choices)).toBeUndefined();
    expect(pickChoice('0', choices)).toBeUndefined();
    expect(pickChoice('1 please', choices)).toBeUndefined();
    expect(pickChoice('1', [])).toBeUndefined();
  });
});

describe('languageOf', () => {
  it('maps Bot Framework locales onto catalog languages', () => {
    expect(languageOf('zh-TW', 'en')).toBe('zh-TW');
    expect(languageOf('zh-Hant-HK', 'en')).toBe('zh-TW');
    expect(languageOf('zh-CN', 'en')).toBe('zh-CN');
    expect(languageOf('en-GB', 'zh-CN')).toBe('en');
    expect(languageOf(undefined, 'zh-TW')).toBe('zh-TW');
    expect(languageOf('fr-FR', 'zh-CN')).toBe('zh-CN');
  });
});
