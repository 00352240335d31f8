/**
 * One suite, two stores: botbuilder's MemoryStorage (the embedded default) defines the contract,
 * RedisStorage must behave the same against the real Redis.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStorage, type Storage } from 'botbuilder';
import { RedisStorage } from '../../bot/storage/redisStorage.js';
import { ExpiringMemoryStorage } from '../../bot/storage/memoryStorage.js';
import { useTestRedis } from '../support/redis.js';

const redis = useTestRedis('storage-contract');

const backends: Array<[string, () => Promise<Storage>]> = [
  ['MemoryStorage', async () => new MemoryStorage()],
  ['ExpiringMemoryStorage', async () => new ExpiringMemoryStorage()],
  [
    'RedisStorage',
    async () => {
      const { client, keys } = await redis().connect();
      return new RedisStorage(client, keys, { ttlSec: 3600 });
    },
  ],
];

/** Redis Cluster hashes only what is between the first `{` and the next `}` when that is non-empty. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}

let n = 0;
const key = (label: string) => `webchat/conversations/c${++n}-${label}`;

describe.each(backends)('Storage contract: %s', (_name, make) => {
  it('returns nothing for keys that were never written', async () => {
    const storage = await make();
    expect(await storage.read([key('missing'), key('missing2')])).toEqual({});
  });

  it('round-trips items and issues an eTag', async () => {
    const storage = await make();
    const k = key('roundtrip');
    await storage.write({ [k]: { count: 1, nested: { 语言: 'zh-CN', list: [1, 2] } } });
    const read = await storage.read([k, key('absent')]);
    expect(Object.keys(read)).toEqual([k]);
    expect(read[k]).toMatchObject({ count: 1, nested: { 语言: 'zh-CN', list: [1, 2] } });
    expect(typeof read[k]!.eTag).toBe('string');
    expect(read[k]!.eTag).not.toBe('');
  });

  it('stores an item changed in place after its read as changed, with or without its eTag (the text it was read from is not reused)', async () => {
    const storage = await make();
    const k = key('in-place');
    await storage.write({ [k]: { v: 1, list: ['a'] } });
    const item = (await storage.read([k]))[k]!;
    item.v = 2;
    (item.list as string[]).push('b');
    await storage.write({ [k]: item });
    expect((await storage.read([k]))[k]).toMatchObject({ v: 2, list: ['a', 'b'] });
    const again = (await storage.read([k]))[k]!;
    again.v = 3;
    await storage.write({ [k]: { ...again, eTag: '*' } });
    expect((await storage.read([k]))[k]).toMatchObject({ v: 3, list: ['a', 'b'] });
  });

  it('issues a new eTag on every write', async () => {
    const storage = await make();
    const k = key('new-etag');
    await storage.write({ [k]: { v: 1 } });
    const first = (await storage.read([k]))[k]!;
    await storage.write({ [k]: { ...first, v: 2 } });
    const second = (await storage.read([k]))[k]!;
    expect(second.v).toBe(2);
    expect(second.eTag).not.toBe(first.eTag);
  });

  it('rejects a write with a stale eTag and keeps the newer value', async () => {
    const storage = await make();
    const k = key('stale');
    await storage.write({ [k]: { v: 1 } });
    const stale = (await storage.read([k]))[k]!;
    await storage.write({ [k]: { ...stale, v: 2 } });
    await expect(storage.write({ [k]: { ...stale, v: 3 } })).rejects.toThrow(/eTag conflict/);
    expect((await storage.read([k]))[k]!.v).toBe(2);
  });

  it("overwrites unconditionally with eTag '*' or without an eTag", async () => {
    const storage = await make();
    const k = key('star');
    await storage.write({ [k]: { v: 1 } });
    await storage.write({ [k]: { v: 2, eTag: '*' } });
    expect((await storage.read([k]))[k]!.v).toBe(2);
    await storage.write({ [k]: { v: 3 } });
    expect((await storage.read([k]))[k]!.v).toBe(3);
  });

  it('accepts any eTag when nothing is stored under the key', async () => {
    const storage = await make();
    const k = key('recreate');
    await storage.write({ [k]: { v: 1, eTag: 'whatever' } });
    expect((await storage.read([k]))[k]!.v).toBe(1);
  });

  it('deletes items, and deleting a missing key is not an error', async () => {
    const storage = await make();
    const [a, b] = [key('del-a'), key('del-b')];
    await storage.write({ [a]: { v: 'a' }, [b]: { v: 'b' } });
    await storage.delete([a, key('never')]);
    expect(Object.keys(await storage.read([a, b]))).toEqual([b]);
  });

  it('keeps user-state and conversation-state keys apart', async () => {
    const storage = await make();
    const conversation = key('scoped');
    const user = 'webchat/users/u1';
    const privateState = `${conversation}/users/u1`;
    await storage.write({ [conversation]: { who: 'c' }, [user]: { who: 'u' }, [privateState]: { who: 'p' } });
    const read = await storage.read([conversation, user, privateState]);
    expect([read[conversation]!.who, read[user]!.who, read[privateState]!.who]).toEqual(['c', 'u', 'p']);
  });

  it('of N writers racing with the same eTag, exactly one wins', async () => {
    const storage = await make();
    const k = key('race');
    await storage.write({ [k]: { winner: null } });
    const base = (await storage.read([k]))[k]!;
    const writers = Array.from({ length: 20 }, (_, i) => storage.write({ [k]: { ...base, winner: i } }));
    const results = await Promise.allSettled(writers);
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(String(r.reason)).toMatch(/eTag conflict/);
    expect((await storage.read([k]))[k]!.winner).toBe(won[0]);
  });
});

describe('RedisStorage specifics', () => {
  it('puts every key of a conversation in one cluster slot, under the prefix, with the idle TTL', async () => {
    const connection = await redis().connect();
    const storage = new RedisStorage(connection.client, connection.keys, { ttlSec: 3600 });
    const conversation = 'webchat/conversations/a{b}c:d';
    const stateKey = storage.redisKey(conversation);
    const privateKey = storage.redisKey(`${conversation}/users/u1`);
    expect(stateKey.startsWith(redis().prefix)).toBe(true);
    expect(stateKey).toContain('{conv:a%7Bb%7Dc%3Ad}');
    expect(privateKey).toContain('{conv:a%7Bb%7Dc%3Ad}');
    expect(stateKey).not.toBe(privateKey);
    expect(hashTag(stateKey)).toBe('conv:a%7Bb%7Dc%3Ad');
    expect(hashTag(privateKey)).toBe(hashTag(stateKey));
    expect(hashTag(connection.keys.conversation('a{b}c:d', 'lock'))).toBe(hashTag(stateKey));
    await storage.write({ [conversation]: { v: 1 } });
    const ttl = await redis().admin.ttl(stateKey);
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
  });

  it('keeps state forever when the TTL is 0', async () => {
    const connection = await redis().connect();
    const storage = new RedisStorage(connection.client, connection.keys, { ttlSec: 0 });
    const k = key('forever');
    await storage.write({ [k]: { v: 1 } });
    expect(await redis().admin.ttl(storage.redisKey(k))).toBe(-1);
  });
});

describe('a shorter life for some records (chats never written in)', () => {
  it('in memory: an expired record reads as absent; a write before the deadline gives it back its normal life', async () => {
    let now = 0;
    const storage = new ExpiringMemoryStorage(() => now);
    await storage.write({ quiet: { n: 1 }, talker: { n: 1 }, other: { n: 1 } });
    await storage.expire(['quiet', 'talker'], 60);
    now += 30_000;
    await storage.write({ talker: { n: 2, eTag: '*' } });
    now += 31_000;
    expect(Object.keys(await storage.read(['quiet', 'talker', 'other'])).sort()).toEqual(['other', 'talker']);
    now += 10 * 86_400_000;
    expect(Object.keys(await storage.read(['talker']))).toEqual(['talker']);
  });

  it('on Redis: the record gets the short TTL; the next write the normal one', async () => {
    const { client, keys } = await redis().connect();
    const storage = new RedisStorage(client, keys, { ttlSec: 3600 });
    const key = `directline/conversations/short-${++n}/`;
    await storage.write({ [key]: { n: 1 } });
    await storage.expire([key], 60);
    const ttl = () => redis().admin.ttl(storage.redisKey(key));
    expect(await ttl()).toBeLessThanOrEqual(60);
    await storage.write({ [key]: { n: 2, eTag: '*' } });
    expect(await ttl()).toBeGreaterThan(60);
  });
});
