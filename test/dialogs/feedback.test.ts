/**
 * The one optional feedback question at the end of a conversation: asked after an agreement, a
 * handoff a person closed, or the cardholder leaving; answered with the channel's buttons; recorded
 * against the conversation; never asked twice; never asked of someone handed off in crisis.
 */
import type { Activity } from 'botbuilder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Forbear } from '../../bot/app.js';
import { renderActivity } from '../../bot/channels/wechat/render.js';
import type { DecisionPayload } from '../../bot/transcripts/schema.js';
import { Cardholder, until, type Instance } from '../support/fleet.js';
import { consoleLogin } from '../support/console.js';
import { startForbear } from '../support/server.js';
import { harness, texts, type Harness } from './harness.js';

const decisions = async (forbear: Forbear, id: string): Promise<DecisionPayload[]> =>
  (await forbear.transcripts.read(id)).flatMap((r) => (r.kind === 'decision' ? [r.payload] : []));
const buttons = (activities: Partial<Activity>[]) => activities.flatMap((a) => (a.suggestedActions?.actions ?? []).map((x) => String(x.title)));

async function agree(h: Harness, id: string) {
  await h.open(id, { locale: 'zh-CN' });
  for (const line of ['我失业了', '4821', '1988-03-14', '每月八千', '房租和生活费三千', '对', '接受']) await h.say(id, line);
  return h.say(id, '同意');
}

describe('feedback in the bot', () => {
  it('asks after an agreement with 1–5 buttons, then fairness, records both, and never asks again', async () => {
    const h = await harness();
    const agreed = await agree(h, 'fb-agree');
    expect(texts(agreed).join('\n')).toMatch(/协议编号[\s\S]*满意吗/);
    expect(buttons(agreed)).toEqual(['1 很不满意', '2 不满意', '3 一般', '4 满意', '5 很满意']);
    // On WeChat the same question is numbered replies.
    const wechat = renderActivity(agreed.filter((a) => a.type === 'message').at(-1)!, 'zh-CN')!;
    expect(wechat.text).toMatch(/回复 1[\s\S]*回复 5/);

    const fair = await h.say('fb-agree', '4 满意');
    expect(texts(fair)).toEqual(['您觉得本次沟通中您受到公平对待了吗？']);
    expect(buttons(fair)).toEqual(['是，公平', '不公平']);
    expect(texts(await h.say('fb-agree', '是，公平'))).toEqual(['谢谢您的反馈。']);
    const after = await h.say('fb-agree', '5');
    expect(texts(after).join('\n')).toMatch(/已生效/);

    const recorded = await decisions(h.forbear, 'fb-agree');
    expect(recorded.filter((d) => d.type === 'feedback_asked')).toEqual([{ type: 'feedback_asked', after: 'agreement', variant: 'champion default-cn@2026.2' }]);
    expect(recorded.filter((d) => d.type === 'feedback')).toEqual([
      { type: 'feedback', satisfaction: 4, fair: null, variant: 'champion default-cn@2026.2' },
      { type: 'feedback', satisfaction: null, fair: true, variant: 'champion default-cn@2026.2' },
    ]);
    await h.forbear.close();
  });

  it('is optional: anything else passes it over and is handled as usual, and starting over does not ask again', async () => {
    const h = await harness();
    await agree(h, 'fb-skip');
    const reply = await h.say('fb-skip', '我的余额是多少');
    expect(texts(reply).join('\n')).toMatch(/已生效|欠款|余额/);
    expect(texts(reply).join('\n')).not.toMatch(/公平|满意/);
    // A digit later is not taken as a rating any more.
    expect(texts(await h.say('fb-skip', '3')).join('\n')).not.toMatch(/公平|谢谢您的反馈/);
    await h.say('fb-skip', '重新开始');
    for (const line of ['我失业了', '每月八千', '房租和生活费三千', '对', '接受']) await h.say('fb-skip', line);
    const again = await h.say('fb-skip', '同意');
    expect(texts(again).join('\n')).toMatch(/协议编号/);
    expect(texts(again).join('\n')).not.toMatch(/满意吗/);
    expect((await decisions(h.forbear, 'fb-skip')).filter((d) => d.type === 'feedback_asked')).toHaveLength(1);
    expect((await decisions(h.forbear, 'fb-skip')).filter((d) => d.type === 'feedback')).toHaveLength(0);
    await h.forbear.close();
  });

  it('takes a typed yes or no to the fairness question, and passes it over when the message says more', async () => {
    const h = await harness();
    await agree(h, 'fb-typed-yes');
    await h.say('fb-typed-yes', '4');
    expect(texts(await h.say('fb-typed-yes', '是'))).toEqual(['谢谢您的反馈。']);
    await agree(h, 'fb-typed-no');
    await h.say('fb-typed-no', '2');
    expect(texts(await h.say('fb-typed-no', '不'))).toEqual(['谢谢您的反馈。']);
    const fair = async (id: string) => (await decisions(h.forbear, id)).filter((d) => d.type === 'feedback' && d.fair !== null);
    expect(await fair('fb-typed-yes')).toMatchObject([{ fair: true }]);
    expect(await fair('fb-typed-no')).toMatchObject([{ fair: false }]);

    await agree(h, 'fb-typed-more');
    await h.say('fb-typed-more', '3');
    const more = await h.say('fb-typed-more', '是的，不过我想转人工');
    expect(texts(more).join('\n')).not.toMatch(/谢谢您的反馈/);
    expect(await fair('fb-typed-more')).toEqual([]);
    await h.forbear.close();
  });

  it('asks a cardholder who leaves after a promise to pay, in their language', async () => {
    const h = await harness();
    await h.open('fb-left', { locale: 'en', account: 'us-m1-johnson' });
    await h.say('fb-left', '9012');
    await h.say('fb-left', '1990-04-18');
    const left = await h.say('fb-left', "I'll pay the minimum on Friday");
    expect(texts(left).join('\n')).toMatch(/how satisfied are you/);
    expect(buttons(left)).toEqual(['1 Very poor', '2 Poor', '3 OK', '4 Good', '5 Very good']);
    expect((await decisions(h.forbear, 'fb-left')).find((d) => d.type === 'feedback_asked')).toMatchObject({ after: 'left' });
    await h.forbear.close();
  });
});

describe('feedback after a person closes a handoff', () => {
  let instance: Instance;
  let forbear: Forbear;
  beforeAll(async () => {
    const started = await startForbear({ RATE_LIMIT_IP_PER_SEC: '100000', RATE_LIMIT_IP_BURST: '1000000' });
    forbear = started.forbear;
    instance = { name: 'one', forbear, server: started.running, base: started.base };
  });
  afterAll(async () => {
    await instance?.server.close();
  });

  async function handOffAndClose(lines: string[]) {
    const c = await Cardholder.open(instance, instance);
    await c.greeted(instance);
    for (const line of lines) await c.say(instance, line);
    const agent = await consoleLogin(instance.base, 'agent', 'agent-demo');
    const post = (path: string, body: unknown = {}) => agent.post(`cases/${encodeURIComponent(c.conversationId)}/${path}`, body);
    expect((await post('claim')).status).toBe(200);
    expect((await post('close', { disposition: 'resolved' })).status).toBe(200);
    await until(async () => (await c.log(instance)).some((a) => a.from?.role === 'bot' && /结束本次服务/.test(a.text ?? '')));
    return c;
  }

  it('asks once the case is closed, and the answer is recorded against the conversation', async () => {
    const c = await handOffAndClose(['4821', '1988-03-14', '转人工']);
    const log = await c.log(instance);
    expect(log.some((a) => /满意吗/.test(a.text ?? ''))).toBe(true);
    await c.say(instance, '2 不满意');
    await until(async () => (await decisions(forbear, c.conversationId)).some((d) => d.type === 'feedback'));
    expect((await decisions(forbear, c.conversationId)).filter((d) => d.type.startsWith('feedback'))).toMatchObject([
      { type: 'feedback_asked', after: 'handoff_closed' },
      { type: 'feedback', satisfaction: 2 },
    ]);
  });

  it('never asks someone handed off in crisis', async () => {
    const c = await handOffAndClose(['我不想活了']);
    const log = await c.log(instance);
    expect(log.some((a) => /满意吗|公平/.test(a.text ?? ''))).toBe(false);
    expect((await decisions(forbear, c.conversationId)).some((d) => d.type === 'feedback_asked')).toBe(false);
  });
});
