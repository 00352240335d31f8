/**
 * Dedupe, key-value store and arrangements: one suite run against the in-memory twins and against
 * Redis. For Redis, "two instances" are two independent connections racing on one server.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { newReference, type ArrangementReference, type ArrangementRepository } from '../../conversation/arrangement.js';
import { MemoryArrangementRepository, RedisArrangementRepository } from '../../bot/storage/arrangements.js';
import { MemoryInboxDedupe, RedisInboxDedupe, type InboxDedupe } from '../../bot/storage/dedupe.js';
import { StoreUnavailableError } from '../../bot/storage/errors.js';
import { MemoryKeyValueStore, RedisKeyValueStore, type KeyValueStore } from '../../bot/storage/keyValue.js';
import { BUCKETS, MemoryMemberSet, MemoryRankedSet, RedisMemberSet, RedisRankedSet, type MemberSet, type RankedSet } from '../../bot/storage/sets.js';
import { useTestRedis } from '../support/redis.js';
import { arrangementFor } from './fixtures.js';

const redis = useTestRedis('stores-contract');

const Counter = z.object({ n: z.number().int().min(0) });
type Counter = z.infer<typeof Counter>;
const counterOptions = { namespace: 'counter', schema: Counter, scope: 'conversation' } as const;

/** Two views of one store, as two bot instances would have; in memory both are the same object. */
interface Backend {
  dedupe(): Promise<[InboxDedupe, InboxDedupe]>;
  keyValue(): Promise<[KeyValueStore<Counter>, KeyValueStore<Counter>]>;
  arrangements(draw?: () => ArrangementReference): Promise<[ArrangementRepository, ArrangementRepository]>;
  memberSet(namespace: string): Promise<[MemberSet, MemberSet]>;
  rankedSet(namespace: string): Promise<[RankedSet, RankedSet]>;
}

const memory: Backend = {
  async dedupe() {
    const d = new MemoryInboxDedupe();
    return [d, d];
  },
  async keyValue() {
    const kv = new MemoryKeyValueStore(counterOptions);
    return [kv, kv];
  },
  async arrangements(draw) {
    const r = new MemoryArrangementRepository(draw);
    return [r, r];
  },
  async memberSet() {
    const m = new MemoryMemberSet();
    return [m, m];
  },
  async rankedSet() {
    const r = new MemoryRankedSet();
    return [r, r];
  },
};

const twoConnections = async () => [await redis().connect('a'), await redis().connect('b')] as const;
const onRedis: Backend = {
  async dedupe() {
    const [a, b] = await twoConnections();
    return [new RedisInboxDedupe(a.client, a.keys), new RedisInboxDedupe(b.client, b.keys)];
  },
  async keyValue() {
    const [a, b] = await twoConnections();
    return [new RedisKeyValueStore(a.client, a.keys, counterOptions), new RedisKeyValueStore(b.client, b.keys, counterOptions)];
  },
  async arrangements(draw) {
    const [a, b] = await twoConnections();
    return [new RedisArrangementRepository(a.client, a.keys, draw), new RedisArrangementRepository(b.client, b.keys, draw)];
  },
  async memberSet(namespace) {
    const [a, b] = await twoConnections();
    return [new RedisMemberSet(a.client, a.keys, namespace), new RedisMemberSet(b.client, b.keys, namespace)];
  },
  async rankedSet(namespace) {
    const [a, b] = await twoConnections();
    return [new RedisRankedSet(a.client, a.keys, namespace), new RedisRankedSet(b.client, b.keys, namespace)];
  },
};

let n = 0;
const unique = (label: string) => `${label}-${++n}`;

describe.each([
  ['memory', memory],
  ['redis', onRedis],
] as const)('InboxDedupe (%s)', (_name, backend) => {
  it('says first-seen once per message, across instances and per scope', async () => {
    const [a, b] = await backend.dedupe();
    const id = unique('activity');
    expect(await a.firstSeen('directline', id, 60)).toBe(true);
    expect(await b.firstSeen('directline', id, 60)).toBe(false);
    expect(await a.firstSeen('directline', id, 60)).toBe(false);
    expect(await b.firstSeen('wechat', id, 60)).toBe(true);
  });

  it('of many concurrent deliveries of one message exactly one is first', async () => {
    const [a, b] = await backend.dedupe();
    const id = unique('msg');
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).firstSeen('wechat', id, 60)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('forget lets a failed message be processed on redelivery', async () => {
    const [a, b] = await backend.dedupe();
    const id = unique('failed');
    expect(await a.firstSeen('directline', id, 60)).toBe(true);
    await a.forget('directline', id);
    expect(await b.firstSeen('directline', id, 60)).toBe(true);
  });
});

describe.each([
  ['memory', memory],
  ['redis', onRedis],
] as const)('KeyValueStore (%s)', (_name, backend) => {
  it('gets, sets and deletes validated values', async () => {
    const [kv] = await backend.keyValue();
    const key = unique('conv');
    expect(await kv.get(key)).toBeUndefined();
    await kv.set(key, { n: 3 });
    expect(await kv.get(key)).toEqual({ n: 3 });
    await kv.delete(key);
    expect(await kv.get(key)).toBeUndefined();
  });

  it('refuses a stored value its schema refuses when it is read back, as a validation error and not as an outage', async () => {
    // Values are checked where they come back from the store (the trust boundary), not when the
    // code that built them writes them; a value that does not fit is refused on the way out.
    const [kv] = await backend.keyValue();
    const key = unique('conv');
    await kv.set(key, { n: -1 });
    const failure = await kv.get(key).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(z.ZodError);
  });

  it('update is atomic: concurrent increments from two instances are all kept', async () => {
    const [a, b] = await backend.keyValue();
    const key = unique('conv');
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).update(key, (c) => ({ n: (c?.n ?? 0) + 1 }))),
    );
    expect(await a.get(key)).toEqual({ n: 30 });
  });

  it('update under heavy contention: more concurrent writers than compare-and-set attempts all get through', async () => {
    // 50 conversations concluding at once all update the ledger book's one active index; without a
    // randomised pause between attempts the same writers lose every round and give up.
    const [a, b] = await backend.keyValue();
    const key = unique('conv');
    await Promise.all(
      Array.from({ length: 120 }, (_, i) => (i % 2 ? a : b).update(key, (c) => ({ n: (c?.n ?? 0) + 1 }))),
    );
    expect(await a.get(key)).toEqual({ n: 120 });
  }, 30_000);

  it('update from an earlier read starts from it, and never lets it win over a later write', async () => {
    const [a, b] = await backend.keyValue();
    const key = unique('conv');
    await a.set(key, { n: 1 });
    const read = (await a.getVersioned(key))!;
    expect(read.value).toEqual({ n: 1 });
    const plusTen = (c: Counter | undefined) => ({ n: c!.n + 10 });
    expect(await a.update(key, plusTen, undefined, read)).toEqual({ n: 11 });
    // `read` is stale now (the update above, then another instance's write): read again, not overwritten.
    await b.set(key, { n: 5 });
    expect(await a.update(key, plusTen, undefined, read)).toEqual({ n: 15 });
    expect(await b.get(key)).toEqual({ n: 15 });
    expect(await a.getVersioned(unique('conv'))).toBeUndefined();
  });

  it("passes the change function's own error through", async () => {
    const [kv] = await backend.keyValue();
    const failure = await kv
      .update(unique('conv'), () => {
        throw new Error('not a store problem');
      })
      .catch((e: unknown) => e);
    expect(failure).not.toBeInstanceOf(StoreUnavailableError);
    expect((failure as Error).message).toBe('not a store problem');
  });
});

describe.each([
  ['memory', memory],
  ['redis', onRedis],
] as const)('ArrangementRepository (%s)', (_name, backend) => {
  it('creates once; a retried consent returns the same reference without building again', async () => {
    const [a, b] = await backend.arrangements();
    const conversation = unique('conv');
    const first = await a.createOnce(conversation, arrangementFor(conversation));
    expect(first.created).toBe(true);
    let rebuilt = false;
    const retry = await b.createOnce(conversation, (reference) => {
      rebuilt = true;
      return arrangementFor(conversation)(reference);
    });
    expect(retry).toEqual({ arrangement: first.arrangement, created: false });
    expect(rebuilt).toBe(false);
  });

  it('of 20 concurrent creations on two instances exactly one is created and all see its reference', async () => {
    const [a, b] = await backend.arrangements();
    const conversation = unique('conv');
    const account = unique('acct');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).createOnce(conversation, arrangementFor(conversation, account))),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.arrangement.reference)).size).toBe(1);
    expect(await a.listByConversation(conversation)).toEqual([results[0]!.arrangement]);
    expect(await b.listByAccount(account)).toEqual([results[0]!.arrangement]);
  });

  it('finds an arrangement by reference as a person typed it, and nothing for unknown references', async () => {
    const [a, b] = await backend.arrangements(() => 'FB-2026-0A1B-2C3D');
    const conversation = unique('conv');
    const { arrangement } = await a.createOnce(conversation, arrangementFor(conversation));
    expect(await b.get('FB-2026-0A1B-2C3D')).toEqual(arrangement);
    expect(await b.get('fb 2026 oa1b 2c3d')).toEqual(arrangement);
    expect(await b.get('FB-2026-0A1B-2C3E')).toBeUndefined();
    expect(await b.get('not a reference')).toBeUndefined();
  });

  it('draws again when a reference is already taken', async () => {
    const taken = newReference();
    const fresh = newReference();
    const draws = [taken, taken, fresh];
    const [repo] = await backend.arrangements(() => draws.shift()!);
    const first = unique('conv');
    const second = unique('conv');
    expect((await repo.createOnce(first, arrangementFor(first))).arrangement.reference).toBe(taken);
    expect((await repo.createOnce(second, arrangementFor(second))).arrangement.reference).toBe(fresh);
    expect((await repo.get(taken))!.conversationId).toBe(first);
  });

  it('lists by conversation and by account, oldest first', async () => {
    const [repo] = await backend.arrangements();
    const conversation = unique('conv');
    const account = unique('acct');
    const later = (reference: ArrangementReference) => ({
      ...arrangementFor(conversation, account)(reference),
      createdAt: '2026-06-02T08:00:00.000Z',
    });
    const b = await repo.createOnce(`${conversation}#2`, later);
    const a = await repo.createOnce(`${conversation}#1`, arrangementFor(conversation, account));
    expect(await repo.listByConversation(conversation)).toEqual([a.arrangement, b.arrangement]);
    expect(await repo.listByAccount(account)).toEqual([a.arrangement, b.arrangement]);
    expect(await repo.listByAccount(unique('nobody'))).toEqual([]);
  });

  it('refuses an invalid arrangement, stores nothing, and frees the reference', async () => {
    const reference = newReference();
    const [repo] = await backend.arrangements(() => reference);
    const conversation = unique('conv');
    await expect(
      repo.createOnce(conversation, (r) => ({ ...arrangementFor(conversation)(r), consentText: '' })),
    ).rejects.toBeInstanceOf(z.ZodError);
    await expect(
      repo.createOnce(conversation, () => arrangementFor(conversation)(newReference())),
    ).rejects.toThrow(/expected/);
    expect(await repo.get(reference)).toBeUndefined();
    const ok = await repo.createOnce(conversation, arrangementFor(conversation));
    expect(ok).toMatchObject({ created: true, arrangement: { reference } });
  });
});

describe.each([
  ['memory', memory],
  ['redis', onRedis],
] as const)('MemberSet (%s)', (_name, backend) => {
  it('adds, removes and lists members, the same from either instance; adding twice keeps one', async () => {
    const [a, b] = await backend.memberSet(unique('set'));
    await a.add('FB-2026-AAAA-0001');
    await b.add('FB-2026-AAAA-0002');
    await b.add('FB-2026-AAAA-0001');
    expect((await a.members()).sort()).toEqual(['FB-2026-AAAA-0001', 'FB-2026-AAAA-0002']);
    await a.remove('FB-2026-AAAA-0001');
    await a.remove('FB-2026-AAAA-9999');
    expect(await b.members()).toEqual(['FB-2026-AAAA-0002']);
  });

  it('keeps every one of many concurrent additions and removals from two instances', async () => {
    const [a, b] = await backend.memberSet(unique('set'));
    const refs = Array.from({ length: 400 }, () => newReference());
    await Promise.all(refs.map((r, i) => (i % 2 ? a : b).add(r)));
    await Promise.all(refs.filter((_, i) => i % 3 === 0).map((r, i) => (i % 2 ? b : a).remove(r)));
    expect((await a.members()).sort()).toEqual(refs.filter((_, i) => i % 3 !== 0).sort());
  });
});

describe.each([
  ['memory', memory],
  ['redis', onRedis],
] as const)('RankedSet (%s)', (_name, backend) => {
  it('keeps members by score, then by member; put answers the rank; a member put again moves', async () => {
    const [a, b] = await backend.rankedSet(unique('ranked'));
    expect(await a.put('c', 20)).toBe(0);
    expect(await b.put('a', 10)).toBe(0);
    expect(await a.put('b', 20)).toBe(1);
    expect(await b.put('d', 5)).toBe(0);
    expect(await a.entries()).toEqual([['d', 5], ['a', 10], ['b', 20], ['c', 20]]);
    expect(await b.put('d', 30)).toBe(3);
    await a.remove('a');
    await a.remove('missing');
    expect(await b.entries()).toEqual([['b', 20], ['c', 20], ['d', 30]]);
  });

  it('removes a member at a score only while it still has that score', async () => {
    const [a, b] = await backend.rankedSet(unique('ranked'));
    const at = 2 * 1e13 + Date.parse('2026-11-22T01:00:00.000Z'); // a handoff queue score
    await a.put('opened-again', at);
    await b.put('opened-again', at + 60_000); // put again between a read and a removal
    await a.removeAt('opened-again', at);
    await a.put('finished', at);
    await b.removeAt('finished', at);
    await b.removeAt('missing', at);
    expect(await a.entries()).toEqual([['opened-again', at + 60_000]]);
  });

  it('refuses a score that is not a finite number, storing nothing', async () => {
    const [a] = await backend.rankedSet(unique('ranked'));
    for (const score of [Number.NaN, Number.POSITIVE_INFINITY]) await expect(a.put('bad', score)).rejects.toThrow(RangeError);
    expect(await a.entries()).toEqual([]);
  });

  it('keeps every one of many concurrent puts from two instances, in order', async () => {
    const [a, b] = await backend.rankedSet(unique('ranked'));
    await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).put(`m${i}`, 1_000 - i)));
    expect(await a.entries()).toEqual(Array.from({ length: 200 }, (_, i) => [`m${199 - i}`, 801 + i]));
  });
});

describe('Redis layout', () => {
  it('a member set: a change sends only its own member, and thousands of members stay compact', async () => {
    const { client, keys } = await redis().connect('layout-set');
    const namespace = unique('set');
    const set = new RedisMemberSet(client, keys, namespace);
    const refs = Array.from({ length: 3000 }, () => newReference());
    await Promise.all(refs.map((r) => set.add(r)));
    // One bucket of ≈ 47 members: the one change a consent makes writes that bucket's one field.
    const key = set.redisKey(refs[0]!);
    expect(await client.hlen(key)).toBeLessThan(100);
    expect(await client.object('ENCODING', key)).toBe('listpack');
    let bytes = 0;
    for (let b = 0; b < BUCKETS; b++) bytes += (await client.memory('USAGE', keys.global('members', `${namespace}:${b}`))) ?? 0;
    // ≈ 26 bytes a member with the buckets' own overhead; one Redis set of the same members ≈ 72
    // (Redis 7.0.15, 05:41 UTC 2026-12-01), which the bound must not let through.
    expect(bytes / refs.length).toBeLessThan(40);
  });

  it('arrangements never expire; dedupe marks do; conversation-scoped records share the conversation slot', async () => {
    const connection = await redis().connect();
    const repo = new RedisArrangementRepository(connection.client, connection.keys);
    const conversation = unique('conv');
    const { arrangement } = await repo.createOnce(conversation, arrangementFor(conversation));
    const arrangementKeys = await redis().admin.keys(`${redis().prefix}arrangement*`);
    expect(arrangementKeys.length).toBeGreaterThanOrEqual(2);
    for (const key of arrangementKeys) expect(await redis().admin.ttl(key)).toBe(-1);
    expect(await redis().admin.smembers(connection.keys.conversation(conversation, 'arrangements'))).toEqual([
      arrangement.reference,
    ]);

    const dedupe = new RedisInboxDedupe(connection.client, connection.keys);
    await dedupe.firstSeen('directline', 'x|0001', 90);
    expect(await redis().admin.ttl(dedupe.redisKey('directline', 'x|0001'))).toBeGreaterThan(80);

    const kv = new RedisKeyValueStore(connection.client, connection.keys, counterOptions);
    expect(kv.redisKey(conversation)).toBe(connection.keys.conversation(conversation, 'kv', 'counter'));
    await kv.set(conversation, { n: 1 }, 120);
    expect(await redis().admin.ttl(kv.redisKey(conversation))).toBeGreaterThan(110);
  });
});

describe('references', () => {
  it('are FB-<year>-XXXX-XXXX in Crockford base32 and do not repeat', () => {
    const drawn = Array.from({ length: 2000 }, () => newReference(new Date('2026-03-04T00:00:00Z')));
    for (const r of drawn) expect(r).toMatch(/^FB-2026-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(new Set(drawn).size).toBe(drawn.length);
  });
});
