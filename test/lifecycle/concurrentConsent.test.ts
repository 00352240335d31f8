/**
 * One cardholder, two conversations, two consents at the same moment: each new arrangement
 * supersedes the account's active one, so without care each could supersede the other and the
 * account be left with none. The defined outcome, as if one consent came after the other: the later
 * one stays active and supersedes the earlier, both ledgers fully published (the superseded one's
 * conversation records why), on the embedded store and on Redis.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createForbear, type Forbear } from '../../bot/app.js';
import { loadConfig } from '../../bot/config.js';
import { createLogger } from '../../bot/logger.js';
import { z } from 'zod';
import { RedisKeyValueStore } from '../../bot/storage/keyValue.js';
import { useTestRedis } from '../support/redis.js';
import { conclude } from './fixtures.js';
import type { Arrangement } from '../../conversation/arrangement.js';

const redis = useTestRedis('concurrent-consent');
let forbear: Forbear | undefined;
// Both consents of a round at the same instant; each round a minute after the last.
let now = new Date('2026-11-22T02:00:00Z');
afterEach(async () => {
  await forbear?.close();
  forbear = undefined;
});

async function instance(env: Record<string, string>): Promise<Forbear> {
  const config = loadConfig({ LOG_LEVEL: 'silent', LEDGER_ASSESS_INTERVAL_MIN: '0', ...env });
  return createForbear({ config, clock: { now: () => now }, logger: createLogger('silent') });
}

async function twoAtOnce(f: Forbear, round: number): Promise<void> {
  const accountId = 'cn-m1-wang';
  now = new Date(Date.parse('2026-11-22T02:00:00Z') + round * 60_000);
  const [a, b] = await Promise.all([
    conclude(f, `cc-${round}-a`, accountId, '2026-11-22'),
    conclude(f, `cc-${round}-b`, accountId, '2026-11-22'),
  ]);
  const all = await f.lifecycle.book.byAccount(accountId);
  expect(all).toHaveLength(2 * (round + 1));
  // One active arrangement for the account, one of these two; the earlier rounds' are all superseded.
  const active = all.filter((r) => r.ledger.status === 'active');
  expect(active).toHaveLength(1);
  const winner = active[0]!;
  expect([a.reference, b.reference]).toContain(winner.ledger.reference);
  const records = all.filter((r) => [a.reference, b.reference].includes(r.ledger.reference));
  const loser = records.find((r) => r !== winner)!;
  expect(loser.ledger.status).toBe('superseded');
  expect(loser.ledger.events.filter((e) => e.type === 'superseded')).toEqual([expect.objectContaining({ by: winner.ledger.reference })]);
  expect((await f.lifecycle.book.activeFor(accountId))?.ledger.reference).toBe(winner.ledger.reference);
  // Nothing half-written: every event of both ledgers is in its conversation's chain and the outbox.
  for (const r of records) expect(r.published).toBe(r.ledger.events.length);
  const chain = await f.transcripts.read(loser.conversationId);
  expect(chain.some((x) => x.kind === 'decision' && x.payload.type === 'ledger' && x.payload.event.type === 'superseded')).toBe(true);
}

describe('two consents for one account at the same moment', () => {
  it('embedded store: exactly one arrangement stays active, superseding the other', async () => {
    forbear = await instance({});
    for (let round = 0; round < 5; round++) await twoAtOnce(forbear, round);
  });

  it('Redis: exactly one arrangement stays active, superseding the other', async () => {
    forbear = await instance({ REDIS_URL: redis().url, REDIS_KEY_PREFIX: redis().prefix, TRANSCRIPT_HMAC_KEY: 'concurrent-consent-transcript-key-0123456789' });
    for (let round = 0; round < 5; round++) await twoAtOnce(forbear, round);
  });

  it("Redis: the scheduler's active index is one member per ledger; an earlier version's one-list record moves into it (left empty) and is never written again", async () => {
    const env = { REDIS_URL: redis().url, REDIS_KEY_PREFIX: redis().prefix, TRANSCRIPT_HMAC_KEY: 'concurrent-consent-transcript-key-0123456789' };
    const { client, keys } = await redis().connect('legacy-index');
    const legacy = new RedisKeyValueStore(client, keys, { namespace: 'ledger-index', schema: z.array(z.string()), scope: 'global' });
    await legacy.set('active', ['FB-2026-0LD0-0001']);
    forbear = await instance(env);
    now = new Date('2026-11-23T02:00:00Z');
    const a = await conclude(forbear, 'legacy-a', 'cn-m2-li', '2026-11-23');
    // (The file's earlier Redis test left its ledgers in the same store.)
    expect(await forbear.lifecycle.book.activeReferences()).toEqual(expect.arrayContaining(['FB-2026-0LD0-0001', a.reference]));
    expect(await legacy.get('active')).toEqual([]);
    // Consents before the list was moved left it alone; consents after it do not bring it back.
    const b = await conclude(forbear, 'legacy-b', 'cn-m1-wang', '2026-11-23');
    expect(await legacy.get('active')).toEqual([]);
    expect(await forbear.lifecycle.book.activeReferences()).toEqual(expect.arrayContaining([a.reference, b.reference]));
  });
});

describe('the consent turn opening a ledger', () => {
  it("reads the account's other ledgers, not a second time the one it opens", async () => {
    forbear = await instance({});
    const book = forbear.lifecycle.book;
    const ledgers = (book as unknown as { ledgers: { get(reference: string): Promise<unknown> } }).ledgers;
    const read: string[] = [];
    const get = ledgers.get.bind(ledgers);
    ledgers.get = (reference) => {
      read.push(reference);
      return get(reference);
    };
    // What opening the ledger reads by `get`, for each arrangement the consent records (`watch` calls `record` on the instance).
    const during: string[][] = [];
    const opening = book as unknown as { record(arrangement: Arrangement): Promise<void> };
    const record = opening.record.bind(book);
    opening.record = async (arrangement) => {
      read.length = 0;
      await record(arrangement);
      during.push([...read]);
    };
    const first = await conclude(forbear, 'one-read-1', 'cn-m1-wang', '2026-11-22');
    const second = await conclude(forbear, 'one-read-2', 'cn-m1-wang', '2026-11-22');
    // The first has no other ledger to read; the second reads the first's (and supersedes it, which
    // reads it again under its own lock), never its own.
    expect(during[0]).toEqual([]);
    expect(during[1]).toContain(first.reference);
    expect(during[1]).not.toContain(second.reference);
    // The change of terms still happens: the earlier arrangement is superseded by the later.
    expect((await book.get(first.reference))?.ledger.status).toBe('superseded');
    expect((await book.activeFor('cn-m1-wang'))?.ledger.reference).toBe(second.reference);
  });
});

describe("the ledger book's locks on Redis", () => {
  it("read no conversation state with their leases (an account's or a ledger's is no conversation's)", async () => {
    forbear = await instance({ REDIS_URL: redis().url, REDIS_KEY_PREFIX: redis().prefix, TRANSCRIPT_HMAC_KEY: 'concurrent-consent-transcript-key-0123456789' });
    // The lease's prefetch asks the conversation store for the keys of the id it locks.
    const storage = forbear.stores.storage as unknown as { turnKeys(id: string): readonly string[] };
    const asked: string[] = [];
    const turnKeys = storage.turnKeys.bind(storage);
    storage.turnKeys = (id) => {
      asked.push(id);
      return turnKeys(id);
    };
    now = new Date('2026-11-22T03:00:00Z');
    const first = await conclude(forbear, 'no-state-1', 'cn-m1-wang', '2026-11-22');
    // A change of terms too: the supersede's ledger lock.
    await conclude(forbear, 'no-state-2', 'cn-m1-wang', '2026-11-22');
    expect((await forbear.lifecycle.book.get(first.reference))?.ledger.status).toBe('superseded');
    expect(asked.filter((id) => id.startsWith('account:') || id.startsWith('ledger:'))).toEqual([]);
  });
});
