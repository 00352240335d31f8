/** One contract, two activity logs: the in-process default and Redis (real server, never skipped). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activity } from 'botbuilder';
import { RedisConversationLog } from '../../../bot/channels/directline/redisStore.js';
import { MemoryConversationLog, UnknownConversationError, type ConversationLog } from '../../../bot/channels/directline/store.js';
import { testRedis, type TestRedis } from '../../support/redis.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await testRedis('directline-log');
});
afterAll(() => redis?.cleanup());

const backends: Array<[string, () => Promise<ConversationLog>]> = [
  ['memory', async () => new MemoryConversationLog(3600)],
  [
    'redis',
    async () => {
      const { client, keys } = await redis.connect();
      return new RedisConversationLog(client, keys, 3600);
    },
  ],
];

let n = 0;
const newId = () => `conv-${++n}-${Math.random().toString(36).slice(2, 8)}`;
const msg = (text: string): Partial<Activity> => ({ type: 'message', text, from: { id: 'u', name: 'u' } });

describe.each(backends)('Direct Line conversation log: %s', (_name, make) => {
  it('opens a conversation once', async () => {
    const log = await make();
    const id = newId();
    expect(await log.exists(id)).toBe(false);
    expect(await log.open(id)).toBe('created');
    expect(await log.open(id)).toBe('existing');
    expect(await log.exists(id)).toBe(true);
  });

  it('numbers appended activities from 0 and reads after a watermark, in pages', async () => {
    const log = await make();
    const id = newId();
    await log.open(id);
    for (const text of ['a', 'b', 'c', 'd']) await log.append(id, msg(text));
    expect((await log.read(id, undefined, 10)).map((e) => [e.seq, e.activity.text])).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
      [3, 'd'],
    ]);
    expect((await log.read(id, 0, 2)).map((e) => e.seq)).toEqual([1, 2]);
    expect(await log.read(id, 3, 10)).toEqual([]);
  });

  it('appends a dedupe key once and answers the first seq for repeats', async () => {
    const log = await make();
    const id = newId();
    await log.open(id);
    expect(await log.append(id, msg('x'), 'client-1')).toEqual({ seq: 0, duplicate: false, completed: false });
    expect(await log.append(id, msg('y'))).toEqual({ seq: 1, duplicate: false, completed: false });
    expect(await log.append(id, msg('x'), 'client-1')).toEqual({ seq: 0, duplicate: true, completed: false });
    expect((await log.read(id, undefined, 10)).map((e) => e.activity.text)).toEqual(['x', 'y']);
  });

  it('records completion, not receipt: a repeat says whether the first delivery’s turn completed', async () => {
    const log = await make();
    const id = newId();
    await log.open(id);
    await log.append(id, msg('a'), 'client-1');
    for (let i = 0; i < 11; i++) await log.append(id, msg(`filler ${i}`));
    expect(await log.append(id, msg('b'), 'client-2')).toEqual({ seq: 12, duplicate: false, completed: false });
    await log.complete(id, 'client-2');
    await log.complete(id, 'client-2');
    await log.complete(id, 'unknown-client');
    await log.complete(newId(), 'client-2');
    expect(await log.append(id, msg('a'), 'client-1')).toEqual({ seq: 0, duplicate: true, completed: false });
    expect(await log.append(id, msg('b'), 'client-2')).toEqual({ seq: 12, duplicate: true, completed: true });
    expect(await log.read(id, 12, 10)).toEqual([]);
  });

  it('de-duplicates concurrent retries: exactly one append wins', async () => {
    const log = await make();
    const id = newId();
    await log.open(id);
    const results = await Promise.all(Array.from({ length: 8 }, () => log.append(id, msg('same'), 'client-7')));
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => r.seq))).toEqual(new Set([0]));
  });

  it("appends a turn's replies together, in order, after what is there", async () => {
    const log = await make();
    const id = newId();
    await log.open(id);
    await log.append(id, msg('question'), 'client-2');
    expect(await log.appendReplies(id, [msg('one'), msg('two'), msg('three')])).toBe(1);
    expect((await log.read(id, undefined, 10)).map((e) => [e.seq, e.activity.text])).toEqual([
      [0, 'question'],
      [1, 'one'],
      [2, 'two'],
      [3, 'three'],
    ]);
  });

  it('reads every position alike across turns, completed or not, and keeps what was appended, not the object', async () => {
    const log = await make();
    const id = newId();
    await log.open(id);
    const texts: string[] = [];
    const replies = async (...t: string[]) => {
      await log.appendReplies(id, t.map(msg));
      texts.push(...t);
    };
    const ask = async (t: string, key?: string) => {
      const question = msg(t);
      await log.append(id, question, key);
      // A later change to the object the bot holds reaches nothing stored.
      question.text = 'changed afterwards';
      texts.push(t);
    };
    await replies('greeting', 'menu');
    await ask('q1', 'k1');
    await replies('r1');
    await log.complete(id, 'k1');
    await ask('q2', 'k2');
    await replies('r2a', 'r2b');
    // The turn of q2 never completes; q3 has no key, so nothing marks its end; events get no reply.
    await ask('q3');
    for (let i = 0; i < 18; i++) await ask(`event ${i}`);
    await replies(...Array.from({ length: 20 }, (_, i) => `many ${i}`));
    await replies('last');
    for (let after = -1; after < texts.length; after++) {
      const page = await log.read(id, after < 0 ? undefined : after, 3);
      expect(page.map((e) => [e.seq, e.activity.text])).toEqual(texts.slice(after + 1, after + 4).map((t, i) => [after + 1 + i, t]));
    }
    expect((await log.read(id, undefined, 100)).map((e) => e.activity.text)).toEqual(texts);
  });

  it('refuses to append to or read a conversation that was never opened', async () => {
    const log = await make();
    await expect(log.append(newId(), msg('x'))).rejects.toBeInstanceOf(UnknownConversationError);
    await expect(log.appendReplies(newId(), [msg('x')])).rejects.toBeInstanceOf(UnknownConversationError);
    await expect(log.read(newId(), undefined, 10)).rejects.toBeInstanceOf(UnknownConversationError);
  });
});

describe('Redis log layout', () => {
  it('keeps a conversation under one hash tag with an idle TTL', async () => {
    const { client, keys } = await redis.connect();
    const log = new RedisConversationLog(client, keys, 600);
    const id = newId();
    await log.open(id);
    await log.append(id, msg('x'), 'k');
    const found = await redis.admin.keys(`${redis.prefix}*${id}*`);
    expect(found).toHaveLength(3);
    for (const key of found) {
      expect(key).toContain(`{conv:${id}}`);
      const ttl = await redis.admin.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(600);
    }
  });
});

describe('Redis log: open conversations', () => {
  it('counts the conversations whose keys are alive, dropping the expired from the index', async () => {
    const { client, keys } = await redis.connect();
    const log = new RedisConversationLog(client, keys, 600);
    const before = await log.openCount();
    const [a, b] = [newId(), newId()];
    await log.open(a);
    await log.open(b);
    // One whose keys expired a moment ago (as if its instance had died before it could remove it).
    const index = (await redis.admin.keys(`${redis.prefix}directline:*open*`)).find((k) => k.includes('{all}'))!;
    await redis.admin.zadd(index, Date.now() - 1000, 'expired-one');
    expect(await log.openCount()).toBe(before + 2);
    expect(await redis.admin.zscore(index, 'expired-one')).toBeNull();
  });
});

describe('Redis log: a conversation nobody wrote in', () => {
  it('lives the unstarted TTL until the first client message, then the normal one', async () => {
    const { client, keys } = await redis.connect();
    const log = new RedisConversationLog(client, keys, 86_400, 120);
    const id = newId();
    const ttls = async () => Promise.all((await redis.admin.keys(`${redis.prefix}*${id}*`)).map((key) => redis.admin.ttl(key)));
    await log.open(id);
    await log.appendReplies(id, [msg('greeting')]);
    await log.append(id, { type: 'event', name: 'webchat/join' });
    expect(await ttls()).toHaveLength(2);
    for (const ttl of await ttls()) {
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(120);
    }
    await log.append(id, msg('hello'), 'client-1');
    await log.appendReplies(id, [msg('answer')]);
    expect(await ttls()).toHaveLength(3);
    for (const ttl of await ttls()) expect(ttl).toBeGreaterThan(120);
    expect((await log.read(id, undefined, 10)).map((e) => e.activity.text ?? e.activity.name)).toEqual(['greeting', 'webchat/join', 'hello', 'answer']);
  });
});

describe('memory log: a conversation nobody wrote in', () => {
  it('is forgotten after the unstarted TTL; a client message gives it the normal one', async () => {
    let now = 0;
    const log = new MemoryConversationLog(3600, () => now, 60);
    await log.open('quiet');
    await log.open('talker');
    await log.appendReplies('quiet', [msg('greeting')]);
    await log.append('quiet', { type: 'event', name: 'webchat/join' });
    await log.appendReplies('talker', [msg('greeting')]);
    now += 30_000;
    await log.append('talker', msg('hello'));
    now += 31_000;
    expect(await log.exists('quiet')).toBe(false);
    expect(await log.openCount()).toBe(1);
    now += 3_000_000;
    await log.appendReplies('talker', [msg('still here?')]);
    expect(await log.exists('talker')).toBe(true);
  });
});

describe('memory log: open count', () => {
  it('counts exactly the live conversations through opening, re-opening, first messages, replies and expiry', async () => {
    let now = 0;
    const log = new MemoryConversationLog(600, () => now, 60);
    const ids = Array.from({ length: 12 }, (_, i) => `c${i}`);
    // What the count must be: every id that exists, asked one by one.
    const live = async () => (await Promise.all(ids.map((id) => log.exists(id)))).filter(Boolean).length;
    // A fixed pseudo-random walk (a linear congruential generator), so a failure replays.
    let seed = 42;
    const next = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed % n);
    for (let step = 0; step < 3000; step++) {
      const id = ids[next(ids.length)]!;
      const action = next(6);
      if (action === 0) await log.open(id);
      else if (action === 1 && (await log.exists(id))) await log.append(id, msg('hello'), `k${step}`);
      else if (action === 2 && (await log.exists(id))) await log.append(id, { type: 'event', name: 'webchat/join' });
      else if (action === 3 && (await log.exists(id))) await log.appendReplies(id, [msg('answer')]);
      // Time passes: within the unstarted TTL, past it, or past the started one; or the system
      // clock steps back (an NTP correction) and the count must still be the live ones.
      else if (action === 4) now += [1_000, 20_000, 61_000, 601_000][next(4)]!;
      else if (action === 5 && next(4) === 0) now -= [30_000, 120_000][next(2)]!;
      expect(await log.openCount(), `step ${step}`).toBe(await live());
    }
  });

  it('after the system clock steps back, counts only the conversations that exist', async () => {
    let now = 100_000;
    const log = new MemoryConversationLog(600, () => now, 60);
    await log.open('before-the-step');
    now = 0; // an NTP correction
    await log.open('after-the-step');
    now = 70_000;
    await log.open('later');
    const ids = ['before-the-step', 'after-the-step', 'later'];
    expect(await log.openCount()).toBe((await Promise.all(ids.map((id) => log.exists(id)))).filter(Boolean).length);
    now = 161_000;
    expect(await log.openCount()).toBe((await Promise.all(ids.map((id) => log.exists(id)))).filter(Boolean).length);
  });

  it('drops an unstarted conversation opened after a started one first, and counts a re-opened one once', async () => {
    let now = 0;
    const log = new MemoryConversationLog(600, () => now, 60);
    await log.open('talker');
    await log.append('talker', msg('hello'));
    await log.open('quiet');
    expect(await log.openCount()).toBe(2);
    now += 61_000;
    expect(await log.openCount()).toBe(1);
    expect(await log.open('quiet')).toBe('created');
    expect(await log.open('talker')).toBe('existing');
    expect(await log.openCount()).toBe(2);
    now += 540_000;
    expect(await log.openCount()).toBe(0);
    expect(await log.open('talker')).toBe('created');
    expect(await log.openCount()).toBe(1);
  });
});

describe('memory log: stored form', () => {
  it('keeps one compact value per turn, the client message with its replies', async () => {
    const log = new MemoryConversationLog(3600);
    await log.open('c');
    await log.appendReplies('c', [msg('greeting')]);
    for (const turn of [1, 2, 3]) {
      await log.append('c', msg(`question ${turn}`), `k${turn}`);
      await log.appendReplies('c', [msg('answer'), msg('next question')]);
      await log.complete('c', `k${turn}`);
    }
    // A conversation with a client message is held among the started ones.
    const stored = (log as unknown as { started: Map<string, { chunks: string[]; pending: string[] }> }).started.get('c')!;
    expect(stored.chunks).toHaveLength(4);
    expect(stored.pending).toEqual([]);
    expect((await log.read('c', undefined, 20)).map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('memory log expiry', () => {
  it('forgets a conversation after its idle TTL', async () => {
    let now = 0;
    const log = new MemoryConversationLog(60, () => now);
    await log.open('c');
    now += 59_000;
    await log.append('c', msg('keep alive'));
    now += 59_000;
    expect(await log.exists('c')).toBe(true);
    now += 61_000;
    expect(await log.exists('c')).toBe(false);
    expect(await log.open('c')).toBe('created');
  });
});
