/**
 * When no person is on duty the cardholder is not left waiting in silence: they are offered a
 * call-back or to carry on with the bot (someone in crisis is offered the call-back only).
 */
import { describe, expect, it } from 'vitest';
import { events, harness, texts } from '../dialogs/harness.js';

// The harness clock is 10:00 in Shanghai; the team works evenings in this test.
const OFF_DUTY = { configEnv: { HANDOFF_HOURS: '18:00-23:00' } };

describe('handoff outside opening hours', () => {
  it('offers a call-back or the bot; choosing the bot resumes the negotiation without handing off again', async () => {
    const h = await harness(OFF_DUTY);
    await h.open('off', { locale: 'zh-CN' });
    for (const line of ['4821', '1988-03-14', '失业了', '月收入八千', '开支三千', '对']) await h.say('off', line);
    const handoff = await h.say('off', '转人工');
    expect(events(handoff, 'handoff')).toHaveLength(1);
    const offer = handoff.find((a) => a.text?.includes('不在服务时间'));
    expect(offer?.suggestedActions?.actions.map((a) => a.title)).toEqual(['继续和智能助理沟通', '预约回电']);

    expect(texts(await h.say('off', '在吗'))).toEqual([]);
    const resumed = await h.say('off', '继续和智能助理沟通');
    expect(texts(resumed)[0]).toMatch(/我们继续/);
    expect(events(resumed, 'offer')).toHaveLength(1);
    expect(events(resumed, 'handoff')).toHaveLength(0);
    expect((await h.forbear.desk.tickets.get('off'))?.outcome).toBe('continued_with_bot');
  });

  it('records a call-back request', async () => {
    const h = await harness(OFF_DUTY);
    await h.open('callback', { locale: 'en' });
    await h.say('callback', 'I want to talk to a person');
    expect(texts(await h.say('callback', 'Call me back')).join('\n')).toMatch(/call-back/);
    expect((await h.forbear.desk.tickets.get('callback'))?.outcome).toBe('callback_requested');
  });

  it('offers someone in crisis the call-back only', async () => {
    const h = await harness(OFF_DUTY);
    await h.open('crisis', { locale: 'en' });
    const replies = await h.say('crisis', 'I want to end my life');
    const offer = replies.find((a) => a.text?.includes('not available'));
    expect(offer?.suggestedActions?.actions.map((a) => a.title)).toEqual(['Call me back']);
    expect(texts(await h.say('crisis', 'Continue with the assistant'))).toEqual([]);
  });

  it('offers the alternatives once when nobody has claimed the case within the queue time-out', async () => {
    let now = Date.parse('2026-11-22T02:00:00Z');
    const h = await harness({ clock: { now: () => new Date(now) }, configEnv: { HANDOFF_QUEUE_TIMEOUT_MIN: '30' } });
    await h.open('slow-queue', { locale: 'en' });
    await h.say('slow-queue', 'I want to talk to a person');
    now += 10 * 60_000;
    expect(texts(await h.say('slow-queue', 'hello?'))).toEqual([]);
    now += 25 * 60_000;
    const offered = await h.say('slow-queue', 'anyone there?');
    expect(offered.find((a) => a.text?.includes('not available'))?.suggestedActions?.actions.map((a) => a.title)).toEqual([
      'Continue with the assistant',
      'Call me back',
    ]);
    expect(texts(await h.say('slow-queue', 'still waiting'))).toEqual([]);
    expect(texts(await h.say('slow-queue', 'Continue with the assistant'))[0]).toMatch(/continue here/);
  });
});
