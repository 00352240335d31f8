/**
 * Channels where the cardholder speaks first (WeChat, a returning Web Chat user): the opening
 * message is not just a trigger for the greeting — what it asks for is acted on at once.
 */
import { describe, expect, it } from 'vitest';
import { events, harness, texts } from './harness.js';

describe('the opening message', () => {
  it('a request for a person in the first message hands off straight after the disclosure', async () => {
    const h = await harness();
    const replies = await h.adapter.send('first-human', { text: '转人工', locale: 'zh-CN' });
    expect(texts(replies)[0]).toMatch(/智能助理/);
    expect(events(replies, 'handoff')).toEqual([expect.objectContaining({ reason: 'request_human' })]);
    expect(texts(replies).join('\n')).not.toMatch(/后4位/);
  });

  it('a self-harm disclosure in the first message is a critical handoff', async () => {
    const h = await harness();
    const replies = await h.adapter.send('first-harm', { text: 'I just want to end it all', locale: 'en' });
    expect(events(replies, 'handoff')).toEqual([expect.objectContaining({ urgency: 'critical' })]);
  });

  it('a question in the first message is answered, then verification starts', async () => {
    const h = await harness();
    const replies = texts(await h.adapter.send('first-bot', { text: 'are you a robot?', locale: 'en' }));
    expect(replies).toEqual([
      expect.stringMatching(/automated assistant/),
      expect.stringMatching(/not a person/),
      expect.stringMatching(/last 4 digits/),
    ]);
  });

  it('a story in the first message is kept, and verification starts', async () => {
    const h = await harness();
    const replies = texts(await h.adapter.send('first-story', { text: '我失业了，这个月还不上', locale: 'zh-CN' }));
    expect(replies.at(-1)).toMatch(/后4位/);
    await h.say('first-story', '4821');
    const after = texts(await h.say('first-story', '1988-03-14'));
    expect(after.join('\n')).toMatch(/收入/);
    expect(after.join('\n')).not.toMatch(/什么情况/);
  });
});
