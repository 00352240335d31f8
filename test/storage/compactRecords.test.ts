/**
 * Versioned records (the conversation state, key-value records such as the ledger) kept compact in
 * Redis (bot/storage/versionedRecord.ts, `storedText` in bot/storage/compact.ts): read back as the
 * same text, records written before as plain JSON still read, and fewer bytes held.
 */
import { syncBuiltinESMExports } from 'node:module';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { storedText, textOfStored } from '../../bot/storage/compact.js';
import { RedisKeyValueStore } from '../../bot/storage/keyValue.js';
import { argsText, recordArgs, WRITTEN_TEXT_BYTES, writtenTextBytes } from '../../bot/storage/versionedRecord.js';
import type { RedisConnection } from '../../bot/storage/redis.js';
import { RedisStorage } from '../../bot/storage/redisStorage.js';
import { RedisArrangementRepository } from '../../bot/storage/arrangements.js';
import { arrangementFor } from './fixtures.js';
import { testRedis, type TestRedis } from '../support/redis.js';

let redis: TestRedis;
let c: RedisConnection;
beforeAll(async () => {
  redis = await testRedis('compact-records');
  c = await redis.connect();
});
afterAll(() => redis?.cleanup());

/** A conversation state of the shape botbuilder's dialogs and the case keep (≈ 2 KB of JSON). */
const state = {
  DialogState: {
    dialogStack: [
      {
        id: 'negotiation',
        state: {
          options: {},
          values: { instanceId: 'a3c9f0e2-5b1d-4e8f-9a7c-2d6b8e1f4a90' },
          stepIndex: 3,
          case: {
            phase: 'offer',
            language: 'zh-CN',
            accountRef: 'cn-m1-wang',
            verified: true,
            verification: { attempts: 1, lastFour: true, dateOfBirth: true },
            hardship: { reason: 'unemployment', incomeMinor: 2000000, expensesMinor: 500000 },
            offers: [1, 2, 3].map((i) => ({ kind: 'installments', months: 6 * i, amountMinor: 123456 * i, aprBps: 0, feeMinor: 0, ruleIds: [`default-cn@2026.2#plan.${i}`] })),
            history: Array.from({ length: 8 }, (_, i) => ({ at: `2026-11-30T10:0${i}:00.000Z`, intent: i % 2 ? 'propose_plan' : 'provide_info', turn: i + 1 })),
            flags: [],
          },
        },
      },
    ],
  },
  timezone: 'Asia/Shanghai',
};

describe('versioned records kept compact', () => {
  it('gives back the same text; keeps a value as is when DEFLATE would not make it shorter', () => {
    const json = JSON.stringify(state);
    const stored = storedText(json);
    expect(Buffer.isBuffer(stored)).toBe(true);
    expect((stored as Buffer).length).toBeLessThan(Buffer.byteLength(json) / 2);
    expect(textOfStored(stored)).toBe(json);
    expect(storedText('{"a":1}')).toBe('{"a":1}');
    expect(textOfStored(Buffer.from('{"a":"ü"}'))).toBe('{"a":"ü"}');
    expect(textOfStored(Buffer.from('"text"'))).toBe('"text"');
  });

  it('stores the conversation state in fewer bytes, reads it back unchanged, and reads a state written as plain JSON', async () => {
    const storage = new RedisStorage(c.client, c.keys, { ttlSec: 600 });
    const key = 'directline/conversations/compact-1/';
    await storage.write({ [key]: state });
    const { eTag, ...read } = (await storage.read([key]))[key]!;
    expect(read).toEqual(state);
    expect(eTag).toMatch(/^[0-9a-f-]{36}$/);
    const raw = (await redis.admin.hgetBuffer(storage.redisKey(key), 'value'))!;
    expect(raw[0]).toBe(1);
    const compact = (await redis.admin.memory('USAGE', storage.redisKey(key)))!;

    // As written before the codec: a plain JSON value, still read (and compare-and-set) as it was.
    const old = 'directline/conversations/compact-old/';
    await redis.admin.hset(storage.redisKey(old), 'etag', 'etag-before', 'value', JSON.stringify(state));
    expect((await storage.read([old]))[old]).toEqual({ ...state, eTag: 'etag-before' });
    const plain = (await redis.admin.memory('USAGE', storage.redisKey(old)))!;
    // Measured (MEMORY USAGE, Redis 7): 1,856 → 800 bytes.
    expect(compact).toBeLessThan(plain * 0.65);
    await storage.write({ [old]: { ...state, timezone: 'UTC', eTag: 'etag-before' } });
    expect((await storage.read([old]))[old]?.['timezone']).toBe('UTC');
  });

  it('keeps key-value records compact too, and reads them back through their schema', async () => {
    const schema = z.object({ entries: z.array(z.object({ at: z.string(), amountMinor: z.number(), note: z.string() })) });
    const store = new RedisKeyValueStore(c.client, c.keys, { namespace: 'compactkv', schema, scope: 'global' });
    const value = { entries: Array.from({ length: 12 }, (_, i) => ({ at: `2026-12-${String(i + 1).padStart(2, '0')}T00:00:00.000Z`, amountMinor: 123456, note: 'installment due' })) };
    await store.set('ledger-1', value);
    expect(await store.get('ledger-1')).toEqual(value);
    const raw = (await redis.admin.hgetBuffer(store.redisKey('ledger-1'), 'value'))!;
    expect(raw.length).toBeLessThan(JSON.stringify(value).length / 2);
  });

  it('keeps the arrangement record compact; one written before as plain JSON is still found, by reference and by conversation', async () => {
    const repo = new RedisArrangementRepository(c.client, c.keys);
    const { arrangement } = await repo.createOnce('compact-arrangement', arrangementFor('compact-arrangement'));
    const recordKey = c.keys.global('arrangement', 'compact-arrangement');
    const raw = (await redis.admin.getBuffer(recordKey))!;
    expect(raw[0]).toBe(1);
    expect(raw.length).toBeLessThan(JSON.stringify(arrangement).length * 0.7);
    expect(await repo.get(arrangement.reference)).toEqual(arrangement);
    expect((await repo.createOnce('compact-arrangement', arrangementFor('compact-arrangement'))).arrangement).toEqual(arrangement);

    await redis.admin.set(recordKey, JSON.stringify(arrangement));
    expect(await repo.get(arrangement.reference)).toEqual(arrangement);
    expect(await repo.listByConversation('compact-arrangement')).toEqual([arrangement]);
  });

  /** How many DEFLATE and inflate calls `run` makes (node:zlib's exports wrapped, and synced to its ESM bindings). */
  async function zlibCalls(run: () => Promise<void>): Promise<{ deflate: number; inflate: number }> {
    const calls = { deflate: 0, inflate: 0 };
    const { deflateRawSync, inflateRawSync } = zlib;
    zlib.deflateRawSync = ((...a: Parameters<typeof deflateRawSync>) => (calls.deflate++, deflateRawSync(...a))) as typeof deflateRawSync;
    zlib.inflateRawSync = ((...a: Parameters<typeof inflateRawSync>) => (calls.inflate++, inflateRawSync(...a))) as typeof inflateRawSync;
    syncBuiltinESMExports();
    try {
      await run();
    } finally {
      Object.assign(zlib, { deflateRawSync, inflateRawSync });
      syncBuiltinESMExports();
    }
    return calls;
  }

  it('reads back a record this process wrote without inflating it again; one written since by another is decoded', async () => {
    const storage = new RedisStorage(c.client, c.keys, { ttlSec: 600 });
    const key = 'directline/conversations/compact-reread/';
    await storage.write({ [key]: state });
    const mine = await zlibCalls(async () => {
      const { eTag: _eTag, ...read } = (await storage.read([key]))[key]!;
      expect(read).toEqual(state);
    });
    expect(mine.inflate).toBe(0);
    // Another instance's write (its own eTag): decoded from what Redis holds.
    const theirs = { ...state, timezone: 'Europe/Berlin' };
    await redis.admin.hset(storage.redisKey(key), 'etag', 'another-instance', 'value', storedText(JSON.stringify(theirs)));
    const other = await zlibCalls(async () => {
      expect((await storage.read([key]))[key]).toEqual({ ...theirs, eTag: 'another-instance' });
    });
    expect(other.inflate).toBe(1);
  });

  it('remembers written texts within a byte budget: a few huge records push out the oldest, never past it', async () => {
    // Each ≈ 3 M characters of text (counted at two bytes a character) and a few KB compact: two fit in 8 MiB at most.
    const huge = (i: number) => JSON.stringify({ note: `record ${i} `.concat('installment due '.repeat(200_000)) });
    const written = [0, 1, 2, 3].map((i) => {
      const key = `forbear:test:huge-${i}`;
      return { key, text: huge(i), args: recordArgs(key, huge(i), { mode: 'any' }, `etag-${i}`, 0) };
    });
    expect(writtenTextBytes()).toBeLessThanOrEqual(WRITTEN_TEXT_BYTES);
    expect(writtenTextBytes()).toBeGreaterThan(WRITTEN_TEXT_BYTES / 2);
    const newest = written[3]!;
    const oldest = written[0]!;
    const reads = await zlibCalls(async () => {
      expect(argsText(newest.key, newest.args)).toBe(newest.text); // remembered
      expect(argsText(oldest.key, oldest.args)).toBe(oldest.text); // forgotten: inflated
    });
    expect(reads.inflate).toBe(1);
    // One alone over the budget is not remembered, and pushes nothing out.
    const before = writtenTextBytes();
    recordArgs('forbear:test:too-big', JSON.stringify({ note: 'installment due '.repeat(600_000) }), { mode: 'any' }, 'etag-big', 0);
    expect(writtenTextBytes()).toBe(before);
  });

  it('a value edited in Redis that kept its eTag is decoded and validated, not answered with what this process wrote', async () => {
    const store = new RedisKeyValueStore(c.client, c.keys, { namespace: 'compactkv-edited', schema: z.object({ due: z.number(), note: z.string() }), scope: 'global' });
    const note = 'installment due '.repeat(20);
    await store.set('edited', { due: 120_000, note });
    const redisKey = store.redisKey('edited');
    expect(Buffer.isBuffer(storedText(JSON.stringify({ due: 120_000, note })))).toBe(true); // kept compact, so remembered
    // By hand, as an operator would: the value only, the eTag left as it was.
    await redis.admin.hset(redisKey, 'value', storedText(JSON.stringify({ due: 'twelve hundred', note })));
    await expect(store.get('edited')).rejects.toThrow();
    await redis.admin.hset(redisKey, 'value', storedText(JSON.stringify({ due: 95_000, note })));
    expect(await store.get('edited')).toEqual({ due: 95_000, note });
  });

  it('DEFLATEs a key-value record once per write', async () => {
    const store = new RedisKeyValueStore(c.client, c.keys, { namespace: 'compactkv-once', schema: z.object({ note: z.string() }), scope: 'global' });
    const calls = await zlibCalls(() => store.set('once', { note: 'installment due '.repeat(20) }));
    expect(calls.deflate).toBe(1);
  });

  it('DEFLATEs a record of a store that holds writes for the turn once when written outside a turn, and reads it back equal', async () => {
    const store = new RedisKeyValueStore(c.client, c.keys, { namespace: 'compactkv-turn', schema: z.object({ note: z.string() }), scope: 'conversation', withTurn: true });
    const value = { note: 'installment due '.repeat(20) };
    const calls = await zlibCalls(() => store.set('outside-a-turn', value));
    expect(calls.deflate).toBe(1);
    expect(await store.get('outside-a-turn')).toEqual(value);
    expect(Buffer.isBuffer(await redis.admin.hgetBuffer(store.redisKey('outside-a-turn'), 'value'))).toBe(true);
  });
});

