/**
 * The Redis Direct Line log packed once the conversation has an outcome
 * (bot/channels/directline/redisStore.ts): the same activities at the same seqs for every read
 * (watermarks, pages), appends and de-duplication going on after it, old plain items still read,
 * the TTL kept, compare-and-set against appends, and far fewer bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activity } from 'botbuilder';
import { RedisConversationLog } from '../../../bot/channels/directline/redisStore.js';
import { RedisConversationLock } from '../../../bot/storage/lock.js';
import type { RedisConnection } from '../../../bot/storage/redis.js';
import { RedisTranscriptStore } from '../../../bot/transcripts/redisStore.js';
import { complete, testSealing } from '../../transcripts/fixtures.js';
import { testRedis, type TestRedis } from '../../support/redis.js';

let redis: TestRedis;
let c: RedisConnection;
beforeAll(async () => {
  redis = await testRedis('directline-packed');
  c = await redis.connect();
});
afterAll(() => redis?.cleanup());

let n = 0;
const newId = () => `packed-${++n}-${Math.random().toString(36).slice(2, 8)}`;
const logKey = (id: string) => c.keys.conversation(id, 'directline', 'log');

/** An activity as the bot and Web Chat exchange them (the shape the bench's conversations log). */
function activity(i: number, id: string): Partial<Activity> {
  const bot = i % 2 === 1;
  const user = { id: 'dl_7f3a9c2e', name: '', role: 'user' };
  const forbear = { id: 'forbear', name: 'Forbear', role: 'bot' };
  return {
    type: 'message',
    id: `${id}|${String(i).padStart(7, '0')}`,
    text: bot ? `您好，根据您的情况，我们可以提供第 ${i} 种还款方案：每月还款 ${1000 + i * 37} 元，共 ${6 + i} 期。请问您是否接受？` : `我想分 ${i} 期还`,
    channelId: 'directline',
    locale: 'zh-CN',
    serviceUrl: 'urn:forbear:directline',
    conversation: { id },
    from: bot ? forbear : user,
    recipient: bot ? user : forbear,
    timestamp: new Date(Date.UTC(2026, 10, 30, 10, 0, i)).toISOString(),
    ...(bot ? { inputHint: 'acceptingInput', replyToId: `${id}|${String(i - 1).padStart(7, '0')}`, suggestedActions: { to: [], actions: [{ type: 'imBack', title: '接受', value: '接受' }, { type: 'imBack', title: '不接受', value: '不接受' }] } } : {}),
  } as unknown as Partial<Activity>;
}

async function filled(log: RedisConversationLog, id: string, count: number): Promise<void> {
  await log.open(id);
  for (let i = 0; i < count; i += 2) {
    await log.append(id, activity(i, id), `client-${i}`);
    if (i + 1 < count) await log.appendReplies(id, [activity(i + 1, id)]);
  }
}

/** Every read a client can make: from the start and after each watermark, in pages of 1, 3 and 100. */
async function everyRead(log: RedisConversationLog, id: string, count: number) {
  const reads = [];
  for (const limit of [1, 3, 100]) for (let after = -1; after < count; after++) reads.push(await log.read(id, after < 0 ? undefined : after, limit));
  return reads;
}

describe('the Redis Direct Line log, packed', () => {
  it('reads back the same activities at the same seqs from every watermark, in a third of the bytes', async () => {
    const log = new RedisConversationLog(c.client, c.keys, 3600);
    const id = newId();
    await filled(log, id, 27);
    const before = await everyRead(log, id, 27);
    expect(before[0]!.map((e) => e.seq)).toEqual([0]);
    const unpacked = (await redis.admin.memory('USAGE', logKey(id)))!;

    expect(await log.pack(id)).toBe(true);
    expect(await redis.admin.llen(logKey(id))).toBe(1);
    expect(await everyRead(log, id, 27)).toEqual(before);
    const packed = (await redis.admin.memory('USAGE', logKey(id)))!;
    // Measured (MEMORY USAGE, Redis 7): 5,336 → 984 bytes for these 27 activities.
    expect(packed).toBeLessThan(unpacked / 3);
    expect(packed).toBeLessThan(1500);
    expect(await redis.admin.exists(c.keys.conversation(id, 'directline', 'packing'))).toBe(0);
  });

  it('goes on after packing: new activities take the next seqs, repeats answer their first seq, a second pack keeps them all', async () => {
    const log = new RedisConversationLog(c.client, c.keys, 3600);
    const id = newId();
    await filled(log, id, 6);
    expect(await log.pack(id)).toBe(true);
    expect(await log.append(id, activity(6, id), 'client-6')).toEqual({ seq: 6, duplicate: false, completed: false });
    expect(await log.append(id, activity(0, id), 'client-0')).toEqual({ seq: 0, duplicate: true, completed: false });
    expect(await log.appendReplies(id, [activity(7, id), activity(8, id)])).toBe(7);
    const all = await log.read(id, undefined, 100);
    expect(all.map((e) => [e.seq, e.activity.id])).toEqual([...Array(9).keys()].map((i) => [i, `${id}|${String(i).padStart(7, '0')}`]));
    expect(all.map((e) => e.activity)).toEqual([...Array(9).keys()].map((i) => activity(i, id)));
    expect((await log.read(id, 4, 3)).map((e) => e.seq)).toEqual([5, 6, 7]);
    expect((await log.read(id, 6, 100)).map((e) => e.seq)).toEqual([7, 8]);
    expect(await log.read(id, 8, 100)).toEqual([]);

    expect(await log.pack(id)).toBe(true);
    expect(await redis.admin.llen(logKey(id))).toBe(1);
    expect(await log.read(id, undefined, 100)).toEqual(all);
    expect(await log.append(id, activity(9, id))).toMatchObject({ seq: 9 });
  });

  it('keeps the log TTL, leaves a log of one item alone, and packs plain JSON items written before the compact codec', async () => {
    const log = new RedisConversationLog(c.client, c.keys, 3600);
    const id = newId();
    await log.open(id);
    expect(await log.pack(id)).toBe(false);
    await log.append(id, activity(0, id));
    expect(await log.pack(id)).toBe(false);
    await redis.admin.rpush(logKey(id), JSON.stringify(activity(1, id)));
    await log.append(id, activity(2, id));
    const before = await log.read(id, undefined, 100);
    expect(before.map((e) => e.activity)).toEqual([0, 1, 2].map((i) => activity(i, id)));
    await redis.admin.expire(logKey(id), 1234);
    expect(await log.pack(id)).toBe(true);
    expect(await log.read(id, undefined, 100)).toEqual(before);
    const ttl = await redis.admin.ttl(logKey(id));
    expect(ttl).toBeGreaterThan(1200);
    expect(ttl).toBeLessThanOrEqual(1234);
  });

  it('is compare-and-set: an append between its read and its write leaves the log as it was', async () => {
    const log = new RedisConversationLog(c.client, c.keys, 3600);
    const id = newId();
    await filled(log, id, 4);
    // The append lands after the pack read the log, before its script runs.
    const read = c.client.lrangeBuffer.bind(c.client);
    const racing = Object.assign(Object.create(c.client) as typeof c.client, {
      lrangeBuffer: async (...args: Parameters<typeof read>) => {
        const items = await read(...args);
        await log.append(id, activity(4, id));
        return items;
      },
    });
    const packer = new RedisConversationLog(racing, c.keys, 3600);
    expect(await packer.pack(id)).toBe(false);
    expect(await redis.admin.llen(logKey(id))).toBe(5);
    expect((await log.read(id, undefined, 100)).map((e) => e.activity)).toEqual([0, 1, 2, 3, 4].map((i) => activity(i, id)));
  });

  it('is packed with the transcript once the turn that records the outcome is stored, not after other turns', async () => {
    const log = new RedisConversationLog(c.client, c.keys, 3600);
    const lock = new RedisConversationLock(c.client, c.keys);
    const transcripts = new RedisTranscriptStore(c.client, c.keys.prefix, testSealing());
    const id = newId();
    await filled(log, id, 4);
    const entry = (payload: Record<string, unknown>) => complete({ kind: 'decision', actor: 'bot', at: '2026-11-30T10:00:00.000Z', payload } as Parameters<typeof complete>[0]);
    const turn = (settles: boolean) =>
      lock.withLock(id, async () => {
        await transcripts.appendBatch(id, () => [
          settles
            ? entry({ type: 'handoff', reason: 'vulnerability', urgency: 'critical', authorityNeeded: null, ruleIds: ['trigger.self_harm'], variant: null })
            : entry({ type: 'stop_contact', source: 'cardholder', redactedText: 'x' }),
        ]);
        await log.appendReplies(id, [activity(100, id)]);
      });
    // The first turn makes this instance know the transcript head (later batches go with the commit).
    await turn(false);
    await turn(false);
    expect(await redis.admin.llen(logKey(id))).toBe(6);
    // Packed by the time the turn's lock returns (beside the transcript's packing).
    await turn(true);
    expect(await redis.admin.llen(logKey(id))).toBe(1);
    expect(await c.client.xlen(`${c.keys.prefix}{conv:${id}}:transcript`)).toBe(1);
    expect((await log.read(id, undefined, 100)).map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});
