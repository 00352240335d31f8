/**
 * A slow turn (an LLM taking its time) shows Web Chat a typing indicator on the real server;
 * typing is pushed on the stream only, never stored in the conversation log.
 */
import { createServer as createNetServer } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createForbear } from '../../bot/app.js';
import { fixedClock } from '../../conversation/clock.js';
import { loadConfig } from '../../bot/config.js';
import { createLogger } from '../../bot/logger.js';
import { startServer, type RunningServer } from '../../bot/server.js';
import { RuleUnderstanding } from '../../bot/understanding/rules.js';
import type { Understanding } from '../../conversation/understanding.js';
import { until } from '../support/until.js';

let running: RunningServer;
/** The activity types Web Chat's stream delivered, and where the slow turn's began. */
const types: string[] = [];
let slowTurnFrom = 0;
const rules = new RuleUnderstanding();
/** An engine slow for as long as it takes: it answers only once the stream has shown typing during its turn. */
const slow: Understanding = {
  name: 'llm',
  understand: async (text, context) => {
    await until(async () => types.slice(slowTurnFrom).includes('typing'));
    return rules.understand(text, context);
  },
};

beforeAll(async () => {
  const env = { PORT: '0', LOG_LEVEL: 'silent' };
  const config = loadConfig(env);
  const forbear = await createForbear({ config, clock: fixedClock('2026-11-22T02:00:00Z'), logger: createLogger('silent'), understanding: slow });
  running = await startServer(forbear, config);
});

afterAll(async () => {
  await running?.close();
});

describe('typing indicator', () => {
  it('is streamed while a slow turn runs, and not kept in the log', async () => {
    const base = running.url.replace(/\/$/, '');
    const { token } = (await (await fetch(`${base}/v3/directline/tokens/generate`, { method: 'POST' })).json()) as { token: string };
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const started = (await (await fetch(`${base}/v3/directline/conversations`, { method: 'POST', headers: auth, body: '{}' })).json()) as {
      conversationId: string;
      streamUrl: string;
    };
    const ws = new WebSocket(started.streamUrl);
    ws.on('message', (data) => {
      const text = data.toString();
      if (text) for (const a of (JSON.parse(text) as { activities: { type: string }[] }).activities) types.push(a.type);
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const post = (text: string) =>
      fetch(`${base}/v3/directline/conversations/${started.conversationId}/activities`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ type: 'message', from: { id: 'u1' }, text, locale: 'zh-CN' }),
      });
    // Verification answers are read by the rules alone; the story goes to the slow engine, whose
    // turn ends only once typing has been streamed during it (a fast turn on a busy machine may
    // show typing too: that is the indicator working, so only the slow turn's part is asserted).
    await post('4821');
    await post('1988-03-14');
    slowTurnFrom = types.length;
    const story = post('我失业了，还不上');
    await expect.poll(() => types.slice(slowTurnFrom).includes('typing')).toBe(true);
    await story;
    ws.close();
    const log = (await (await fetch(`${base}/v3/directline/conversations/${started.conversationId}/activities`, { headers: auth })).json()) as {
      activities: { type: string }[];
    };
    expect(log.activities.map((a) => a.type)).not.toContain('typing');
  });
});

describe('a typing indicator that cannot be sent', () => {
  it('is logged and dropped: the turn fails politely and the server keeps serving (it used to end the process)', async () => {
    const logger = createLogger('silent');
    const notSent: unknown[] = [];
    const warn = logger.warn.bind(logger);
    logger.warn = ((obj: unknown, msg?: string) => {
      if (msg === 'typing indicator not sent') notSent.push(obj);
      return warn(obj as object, msg);
    }) as typeof logger.warn;
    // A turn that lasts until its typing indicator has failed at least once.
    const waitsForTyping: Understanding = {
      name: 'llm',
      understand: async (text, context) => {
        await until(async () => notSent.length > 0);
        return rules.understand(text, context);
      },
    };
    const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent' });
    const forbear = await createForbear({ config, clock: fixedClock('2026-11-22T02:00:00Z'), logger, understanding: waitsForTyping });
    const server = await startServer(forbear, config);
    try {
      // An allow-listed Bot Framework serviceUrl where nothing listens: every send to it fails.
      const closed = createNetServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as { port: number }).port;
      await new Promise((resolve) => closed.close(resolve));
      const res = await fetch(`${server.url}api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'message', id: 'm1', text: '我失业了', locale: 'zh-CN', channelId: 'emulator',
          serviceUrl: `http://127.0.0.1:${port}/`, conversation: { id: 'typing-fails' }, from: { id: 'u1' }, recipient: { id: 'bot' },
        }),
      });
      expect(res.status).toBe(500);
      expect(notSent.length).toBeGreaterThan(0);
      expect((await fetch(`${server.url}healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
