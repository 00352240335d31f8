import { afterEach, describe, expect, it } from 'vitest';
import { TurnContext, type Activity } from 'botbuilder';
import WebSocket from 'ws';
import { createTokenService } from '../../../bot/channels/directline/tokens.js';
import { eventually, start, type Running } from './harness.js';
import { EchoBot, TEXTS } from './echoBot.js';
import type { Bot } from '../../../bot/channels/directline/routes.js';
import { StoreUnavailableError } from '../../../bot/storage/errors.js';
import { call as httpCall } from '../../support/http.js';

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

interface Conversation {
  conversationId: string;
  token: string;
  expires_in: number;
  streamUrl: string;
}

// The replies' shapes are what these tests assert, field by field.
const call = httpCall<any>;

async function openConversation(base: string, locale = 'en-US'): Promise<Conversation> {
  const generated = await call('POST', `${base}/v3/directline/tokens/generate`);
  expect(generated.status).toBe(200);
  const started = await call('POST', `${base}/v3/directline/conversations`, generated.body.token, { locale });
  expect(started.status).toBe(201);
  expect(started.body.conversationId).toBe(generated.body.conversationId);
  return started.body as Conversation;
}

const message = (text: string, clientActivityID?: string, locale = 'en-US') => ({
  type: 'message',
  from: { id: 'user-1', role: 'user' },
  text,
  locale,
  ...(clientActivityID ? { channelData: { clientActivityID } } : {}),
});

async function activities(base: string, c: Conversation, watermark?: string) {
  const query = watermark === undefined ? '' : `?watermark=${watermark}`;
  return call('GET', `${base}/v3/directline/conversations/${c.conversationId}/activities${query}`, c.token);
}

describe('Direct Line over HTTP', () => {
  it('limits a conversation’s messages on a hardened server (in its pre step) and on a bare one (in the route)', async () => {
    for (const hardened of [true, false]) {
      running = await start({ hardened, env: { RATE_LIMIT_CONVERSATION_PER_MIN: '1', RATE_LIMIT_CONVERSATION_BURST: '2' } });
      const c = await openConversation(running.baseUrl);
      const statuses: number[] = [];
      for (const text of ['one', 'two', 'three']) {
        statuses.push((await call('POST', `${running.baseUrl}/v3/directline/conversations/${c.conversationId}/activities`, c.token, message(text))).status);
      }
      expect({ hardened, statuses }).toEqual({ hardened, statuses: [200, 200, 429] });
      await running.close();
      running = undefined;
    }
  });

  it('starts a conversation with a generated token and greets through the bot', async () => {
    running = await start();
    const c = await openConversation(running.baseUrl);
    expect(c.expires_in).toBe(1800);
    expect(c.streamUrl).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/v3/directline/conversations/${c.conversationId}/stream\\?t=`));
    const greeting = await eventually(async () => {
      const r = await activities(running!.baseUrl, c);
      return r.body.activities.length > 0 ? r.body.activities[0] : undefined;
    });
    expect(greeting).toMatchObject({ type: 'message', text: TEXTS.en.hello, id: `${c.conversationId}|0000000`, from: { role: 'bot' } });
    // Starting again with the same token opens nothing new.
    const again = await call('POST', `${running.baseUrl}/v3/directline/conversations`, c.token, {});
    expect(again.status).toBe(200);
    expect(again.body.conversationId).toBe(c.conversationId);
  });

  it('runs a posted message through the bot and pages activities by watermark', async () => {
    running = await start();
    const base = running.baseUrl;
    const c = await openConversation(base);
    await eventually(async () => ((await activities(base, c)).body.activities.length === 1 ? true : undefined));

    const posted = await call('POST', `${base}/v3/directline/conversations/${c.conversationId}/activities`, c.token, message('hi'));
    expect(posted.status).toBe(200);
    expect(posted.body.id).toBe(`${c.conversationId}|0000001`);

    const all = await activities(base, c);
    // greeting, the user's own message echoed, the bot's echo, the offer card; typing is never stored
    expect(all.body.activities.map((a: Activity) => a.type)).toEqual(['message', 'message', 'message', 'message']);
    expect(all.body.activities[1]).toMatchObject({ text: 'hi', from: { id: 'user-1' } });
    expect(all.body.activities[2]).toMatchObject({ text: `${TEXTS.en.said}hi`, replyToId: posted.body.id });
    const offer = all.body.activities[3];
    expect(offer.attachments[0].contentType).toBe('application/vnd.microsoft.card.hero');
    expect(offer.suggestedActions.actions.map((a: { title: string }) => a.title)).toEqual([TEXTS.en.accept, TEXTS.en.other, TEXTS.en.human]);
    expect(all.body.watermark).toBe('3');

    const afterGreeting = await activities(base, c, '0');
    expect(afterGreeting.body.activities.map((a: Activity) => a.id)).toEqual([1, 2, 3].map((n) => `${c.conversationId}|000000${n}`));
    const upToDate = await activities(base, c, '3');
    expect(upToDate.body).toEqual({ activities: [], watermark: '3' });

    const badWatermark = await activities(base, c, 'abc');
    expect(badWatermark.status).toBe(400);
    expect(badWatermark.body.error.code).toBe('BadArgument');
  });

  it('answers the locale the client sends', async () => {
    running = await start();
    const c = await openConversation(running.baseUrl, 'zh-CN');
    const url = `${running.baseUrl}/v3/directline/conversations/${c.conversationId}/activities`;
    await call('POST', url, c.token, message('你好', undefined, 'zh-CN'));
    const texts = (await activities(running.baseUrl, c)).body.activities.map((a: Activity) => a.text);
    expect(texts).toContain(TEXTS['zh-CN'].hello);
    expect(texts).toContain(`${TEXTS['zh-CN'].said}你好`);
  });

  it('de-duplicates a retried POST: same id back, no second turn', async () => {
    running = await start();
    const base = running.baseUrl;
    const c = await openConversation(base);
    const url = `${base}/v3/directline/conversations/${c.conversationId}/activities`;
    const first = await call('POST', url, c.token, message('once', 'client-42'));
    const retry = await call('POST', url, c.token, message('once', 'client-42'));
    expect(retry.status).toBe(200);
    expect(retry.body.id).toBe(first.body.id);
    const texts = (await activities(base, c)).body.activities.map((a: Activity) => a.text);
    expect(texts.filter((t: string) => t === 'once')).toHaveLength(1);
    expect(texts.filter((t: string) => t === `${TEXTS.en.said}once`)).toHaveLength(1);
    // A different client id is a new message.
    const other = await call('POST', url, c.token, message('once', 'client-43'));
    expect(other.body.id).not.toBe(first.body.id);
  });

  it('answers a retried POST whose first delivery failed after the message was logged, exactly once (completion, not receipt)', async () => {
    // The store goes down inside the first turn: the message is logged, no reply, POST 503.
    const echo = new EchoBot();
    let runs = 0;
    const failing: Bot = {
      run: async (context) => {
        if (context.activity.type === 'message' && ++runs === 1) throw new StoreUnavailableError(new Error('connection lost'));
        await echo.run(context);
      },
    };
    running = await start({ bot: failing });
    const base = running.baseUrl;
    const c = await openConversation(base);
    const url = `${base}/v3/directline/conversations/${c.conversationId}/activities`;
    const first = await call('POST', url, c.token, message('pay me later', 'client-7'));
    expect(first.status).toBe(503);
    const logged = (await activities(base, c)).body.activities.map((a: Activity) => a.text);
    expect(logged.filter((t: string) => t === 'pay me later'), 'logged before the turn failed').toHaveLength(1);
    expect(logged).not.toContain(`${TEXTS.en.said}pay me later`);

    const retry = await call('POST', url, c.token, message('pay me later', 'client-7'));
    expect(retry.status).toBe(200);
    const again = await call('POST', url, c.token, message('pay me later', 'client-7'));
    expect(again.body.id).toBe(retry.body.id);
    expect(runs, 'the failed turn and one completed turn').toBe(2);
    const log = (await activities(base, c)).body.activities as Activity[];
    expect(log.filter((a) => a.text === 'pay me later'), 'the message is logged once').toHaveLength(1);
    const answers = log.filter((a) => a.text === `${TEXTS.en.said}pay me later`);
    expect(answers, 'answered once, in reply to the logged message').toHaveLength(1);
    expect(answers[0]!.replyToId).toBe(retry.body.id);
  });

  it('keeps conversations apart: token A can neither read nor write conversation B', async () => {
    running = await start();
    const base = running.baseUrl;
    const a = await openConversation(base);
    const b = await openConversation(base);
    const readB = await call('GET', `${base}/v3/directline/conversations/${b.conversationId}/activities`, a.token);
    expect(readB.status).toBe(403);
    expect(readB.body.error.code).toBe('WrongConversation');
    const writeB = await call('POST', `${base}/v3/directline/conversations/${b.conversationId}/activities`, a.token, message('x'));
    expect(writeB.status).toBe(403);
    const reconnectB = await call('GET', `${base}/v3/directline/conversations/${b.conversationId}`, a.token);
    expect(reconnectB.status).toBe(403);
    const noToken = await call('GET', `${base}/v3/directline/conversations/${b.conversationId}/activities`);
    expect(noToken.status).toBe(401);
    const forged = await call('GET', `${base}/v3/directline/conversations/${b.conversationId}/activities`, `${b.token.split('.')[0]}.${a.token.split('.')[1]}`);
    expect(forged.status).toBe(403);
    expect((await activities(base, b)).status).toBe(200);
  });

  it('rejects activities that are malformed or pose as the bot', async () => {
    running = await start();
    const c = await openConversation(running.baseUrl);
    const url = `${running.baseUrl}/v3/directline/conversations/${c.conversationId}/activities`;
    const noFrom = await call('POST', url, c.token, { type: 'message', text: 'x' });
    expect(noFrom.status).toBe(400);
    expect(noFrom.body.error.message).toMatch(/from/);
    const asBot = await call('POST', url, c.token, { type: 'message', text: 'x', from: { id: 'forbear', role: 'bot' } });
    expect(asBot.status).toBe(400);
    const update = await call('POST', url, c.token, { type: 'conversationUpdate', from: { id: 'u' } });
    expect(update.status).toBe(400);
  });

  it('takes a message of 4,000 characters counted as people count them (emoji and CJK included) and refuses one more', async () => {
    running = await start();
    const c = await openConversation(running.baseUrl);
    const url = `${running.baseUrl}/v3/directline/conversations/${c.conversationId}/activities`;
    // 4,000 characters but 4,800 UTF-16 units: zod counts an emoji as the one character it is.
    const longest = '我想分期😭'.repeat(800);
    const posted = await call('POST', url, c.token, message(longest));
    expect(posted.status).toBe(200);
    const echo = await eventually(async () =>
      (await activities(running!.baseUrl, c)).body.activities.find((a: Activity) => a.replyToId === posted.body.id && a.type === 'message'),
    );
    expect(echo.text).toBe(`${TEXTS.en.said}${longest}`);
    const tooLong = await call('POST', url, c.token, message(`${longest}!`));
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toMatch(/4000 characters/);
  });

  it('refreshes tokens and refuses expired ones', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    running = await start({ now: () => now, env: { DIRECTLINE_TOKEN_TTL_SEC: '600' } });
    const base = running.baseUrl;
    const c = await openConversation(base);
    expect(c.expires_in).toBe(600);
    now += 300_000;
    const refreshed = await call('POST', `${base}/v3/directline/tokens/refresh`, c.token);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.conversationId).toBe(c.conversationId);
    expect(refreshed.body.token).not.toBe(c.token);
    now += 301_000; // the first token is now past its 600 s, the refreshed one is not
    expect((await call('GET', `${base}/v3/directline/conversations/${c.conversationId}/activities`, c.token)).status).toBe(403);
    expect((await call('POST', `${base}/v3/directline/tokens/refresh`, c.token)).body.error.code).toBe('TokenExpired');
    expect((await call('GET', `${base}/v3/directline/conversations/${c.conversationId}/activities`, refreshed.body.token)).status).toBe(200);
  });

  it('delivers a proactive message (continueConversation) to the client', async () => {
    running = await start();
    const base = running.baseUrl;
    const c = await openConversation(base);
    const url = `${base}/v3/directline/conversations/${c.conversationId}/activities`;
    let reference: ReturnType<typeof TurnContext.getConversationReference> | undefined;
    running.channel.adapter.use(async (context, next) => {
      if (context.activity.type === 'message') reference = TurnContext.getConversationReference(context.activity);
      await next();
    });
    await call('POST', url, c.token, message('connect me'));
    expect(reference).toBeDefined();
    const before = (await activities(base, c)).body.watermark as string;
    await running.channel.adapter.continueConversationAsync('app-id', reference!, async (context) => {
      await context.sendActivity('Agent Li here.');
    });
    const after = await activities(base, c, before);
    expect(after.body.activities).toHaveLength(1);
    expect(after.body.activities[0]).toMatchObject({ text: 'Agent Li here.', conversation: { id: c.conversationId } });
  });

  it('reconnects with GET /conversations/:id and a watermark in the new stream URL', async () => {
    running = await start();
    const c = await openConversation(running.baseUrl);
    const r = await call('GET', `${running.baseUrl}/v3/directline/conversations/${c.conversationId}?watermark=0`, c.token);
    expect(r.status).toBe(200);
    expect(r.body.streamUrl).toContain('watermark=0');
    const unknown = createTokenService({ secret: 'test-secret-test-secret-test-secret-0123', ttlSec: 60 }).issue('never-started');
    expect((await call('GET', `${running.baseUrl}/v3/directline/conversations/never-started`, unknown.token)).status).toBe(404);
    // Posting to it is refused as well, by the log's own append, and leaves nothing behind.
    const posted = await call('POST', `${running.baseUrl}/v3/directline/conversations/never-started/activities`, unknown.token, { type: 'message', from: { id: 'u' }, text: 'hi' });
    expect(posted.status).toBe(404);
    expect((await call('GET', `${running.baseUrl}/v3/directline/conversations/never-started`, unknown.token)).status).toBe(404);
  });
});

describe('Direct Line WebSocket stream', () => {
  function collect(url: string) {
    const ws = new WebSocket(url);
    const frames: { activities: Activity[]; watermark?: string }[] = [];
    ws.on('message', (data) => {
      const text = data.toString();
      if (text !== '') frames.push(JSON.parse(text));
    });
    const opened = new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
    return { ws, frames, opened };
  }

  it('pushes the backlog, replies and typing as ActivitySets', async () => {
    running = await start();
    const base = running.baseUrl;
    const c = await openConversation(base);
    const stream = collect(c.streamUrl);
    await stream.opened;
    await eventually(async () => (stream.frames.some((f) => f.activities.some((a) => a.text === TEXTS.en.hello)) ? true : undefined));
    await call('POST', `${base}/v3/directline/conversations/${c.conversationId}/activities`, c.token, message('over ws'));
    await eventually(async () => (stream.frames.some((f) => f.activities.some((a) => a.attachments?.length)) ? true : undefined));
    const all = stream.frames.flatMap((f) => f.activities);
    expect(all.map((a) => a.type)).toContain('typing');
    expect(all.filter((a) => a.type === 'message').map((a) => a.text)).toEqual([TEXTS.en.hello, 'over ws', `${TEXTS.en.said}over ws`, undefined]);
    const typingFrame = stream.frames.find((f) => f.activities[0]?.type === 'typing');
    expect(typingFrame?.watermark).toBeUndefined();
    expect(stream.frames.at(-1)?.watermark).toBe('3');
    stream.ws.close();
  });

  it('refuses a stream for another conversation or without a valid token', async () => {
    running = await start();
    const a = await openConversation(running.baseUrl);
    const b = await openConversation(running.baseUrl);
    const wrongConversation = a.streamUrl.replace(a.conversationId, b.conversationId);
    await expect(collect(wrongConversation).opened).rejects.toThrow('HTTP 403');
    await expect(collect(a.streamUrl.replace(/t=[^&]+/, 't=nope')).opened).rejects.toThrow('HTTP 403');
  });
});
