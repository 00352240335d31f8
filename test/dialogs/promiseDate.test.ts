/**
 * A promise made in the very first message, before verification (a channel without a greeting turn,
 * such as WeChat): after verification its two-way date is read back and waits for the answer, and
 * a safety signal in that answer still hands off.
 */
import { describe, expect, it } from 'vitest';
import { events, harness, texts } from './harness.js';

// Monday 23 November 2026, 10:00 in Shanghai.
const MONDAY = '2026-11-23T02:00:00Z';

async function promisedFirst(id: string) {
  const h = await harness({ now: MONDAY });
  await h.adapter.send(id, { text: '我下周五还钱', locale: 'zh-CN' });
  await h.say(id, '4821');
  return { h, afterVerification: texts(await h.adapter.send(id, { text: '1988-03-14', locale: 'zh-CN' })).join('\n') };
}

describe('a two-way promised date given before verification', () => {
  it('is read back after verification and recorded once confirmed', async () => {
    const { h, afterVerification } = await promisedFirst('pd-yes');
    expect(afterVerification).toMatch(/您是说 2026年12月4日（星期五）还款，对吗？/);
    expect(afterVerification).not.toMatch(/已记录/);
    const confirmed = texts(await h.adapter.send('pd-yes', { text: '对', locale: 'zh-CN' })).join('\n');
    expect(confirmed).toMatch(/已记录您将于 2026年12月4日 还款/);
  });

  it('a safety signal in the answer hands off instead of recording the promise', async () => {
    const { h } = await promisedFirst('pd-harm');
    const replies = await h.adapter.send('pd-harm', { text: '我不想活了', locale: 'zh-CN' });
    expect(events(replies, 'handoff')).toHaveLength(1);
    expect(texts(replies).join('\n')).not.toMatch(/已记录/);
  });
});
