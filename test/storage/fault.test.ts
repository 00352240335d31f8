/**
 * Redis goes away under a running bot (a test-owned server on its own port, killed -9 and
 * restarted, or frozen). Every store operation fails fast with StoreUnavailableError, readiness
 * says down, nothing crashes; when Redis is back the same connection works again, and with an
 * fsync-always append-only file every write Redis had acknowledged is still there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { StoreUnavailableError } from '../../bot/storage/errors.js';
import { openStores, type Stores } from '../../bot/storage/index.js';
import { startOwnedRedis, type OwnedRedis } from '../support/redisServer.js';
import { until } from '../support/until.js';
import { arrangementFor } from './fixtures.js';

/** "Fast" means well inside a chat turn: a generous bound, only to tell "fails" from "hangs". */
const MUST_FAIL_WITHIN_MS = 5_000;

async function failsFast(operation: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  const outcome = await Promise.race([
    operation().then(
      () => 'succeeded',
      (e: unknown) => e,
    ),
    sleep(MUST_FAIL_WITHIN_MS).then(() => 'hung'),
  ]);
  expect(outcome).toBeInstanceOf(StoreUnavailableError);
  return performance.now() - started;
}


const Ticket = z.object({ state: z.string() });
const STATE_KEY = 'directline/conversations/fault-1';

describe('Redis outage', () => {
  let server: OwnedRedis;
  let stores: Stores;
  const measured: Record<string, number> = {};

  beforeAll(async () => {
    server = await startOwnedRedis({ persistent: true });
    stores = await openStores({ url: server.url, commandTimeoutMs: 1000 });
  });
  afterAll(async () => {
    await stores?.close();
    await server?.dispose();
    console.info('fault test, ms until StoreUnavailableError:', measured);
  });

  it('fails fast while Redis is dead, reconnects by itself, and keeps every acknowledged write', async () => {
    const tickets = stores.keyValue({ namespace: 'ticket', schema: Ticket, scope: 'conversation' });
    await stores.storage.write({ [STATE_KEY]: { step: 'offer-shown', eTag: '*' } });
    const before = (await stores.storage.read([STATE_KEY]))[STATE_KEY]!;
    const { arrangement } = await stores.arrangements.createOnce('fault-1', arrangementFor('fault-1'));
    await tickets.set('fault-1', { state: 'open' });
    expect(await stores.health()).toEqual({ status: 'up', backend: 'redis' });

    await server.kill();

    measured['storage.read'] = await failsFast(() => stores.storage.read([STATE_KEY]));
    measured['storage.write'] = await failsFast(() => stores.storage.write({ [STATE_KEY]: { ...before, step: 'x' } }));
    measured['lock.withLock'] = await failsFast(() => stores.lock.withLock('fault-1', async () => 'never runs'));
    measured['dedupe.firstSeen'] = await failsFast(() => stores.dedupe.firstSeen('directline', 'a1', 60));
    measured['arrangements.createOnce'] = await failsFast(() =>
      stores.arrangements.createOnce('fault-2', arrangementFor('fault-2')),
    );
    measured['arrangements.get'] = await failsFast(() => stores.arrangements.get(arrangement.reference));
    measured['keyValue.update'] = await failsFast(() => tickets.update('fault-1', () => ({ state: 'closed' })));
    const health = await stores.health();
    expect(health).toMatchObject({ status: 'down', backend: 'redis' });

    await server.start();
    await until(async () => (await stores.health()).status === 'up');

    const after = (await stores.storage.read([STATE_KEY]))[STATE_KEY]!;
    expect(after).toEqual(before);
    expect(await stores.arrangements.get(arrangement.reference)).toEqual(arrangement);
    expect(await stores.arrangements.createOnce('fault-1', arrangementFor('fault-1'))).toEqual({ arrangement, created: false });
    expect(await tickets.get('fault-1')).toEqual({ state: 'open' });
    // The conversation continues from where it was: its eTag from before the outage is still current.
    await stores.storage.write({ [STATE_KEY]: { ...before, step: 'agreed' } });
    expect((await stores.storage.read([STATE_KEY]))[STATE_KEY]!.step).toBe('agreed');
  });

  it('fails fast while Redis is frozen (connected but silent), then recovers', async () => {
    server.freeze();
    try {
      measured['frozen storage.read'] = await failsFast(() => stores.storage.read([STATE_KEY]));
      expect((await stores.health()).status).toBe('down');
    } finally {
      server.thaw();
    }
    await until(async () => (await stores.health()).status === 'up');
    expect((await stores.storage.read([STATE_KEY]))[STATE_KEY]!.step).toBe('agreed');
  });

  it('a lease lost mid-turn aborts the turn signal instead of crashing the process', async () => {
    const shortLease = await openStores({ url: server.url }, { lock: { leaseMs: 200, waitMs: 2000, retryMs: 10 } });
    try {
      const result = await shortLease.lock.withLock('fault-lease', async (signal) => {
        await server.kill();
        await until(async () => signal.aborted);
        return 'finished without the lease';
      });
      expect(result).toBe('finished without the lease');
    } finally {
      await server.start();
      await shortLease.close();
    }
    await until(async () => (await stores.health()).status === 'up');
  });
});
