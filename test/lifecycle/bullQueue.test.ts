/**
 * What the BullMQ queue leaves in Redis: a completed job's record goes at once, while its id stays
 * recognised (adding it again within `recognisedSec` is still one job, run once), and the queue's
 * event stream stays short.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PATIENCE_MS } from '../support/until.js';
import { BullJobQueue } from '../../bot/lifecycle/jobs.js';
import { startOwnedRedis, type OwnedRedis } from '../support/redisServer.js';

let redis: OwnedRedis;
let client: Redis;
beforeAll(async () => {
  redis = await startOwnedRedis({ persistent: false });
  client = new Redis(redis.url);
}, 30_000);
afterAll(async () => {
  client.disconnect();
  await redis.dispose();
});

const waitFor = (check: () => unknown) => vi.waitFor(check, { timeout: PATIENCE_MS, interval: 25 });

describe('BullMQ job queue footprint', () => {
  it('removes a completed job but still recognises its id; keeps the event stream short', async () => {
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const prefix = 'bull-test:{jobs}';
    const queue = new BullJobQueue<{ v: number }>('contact', connection, prefix, { attempts: 3, backoffMs: 100, recognisedSec: 3600 });
    const runs: string[] = [];
    queue.start(async ({ id, data }) => {
      runs.push(`${id}=${data.v}`);
      return 'done';
    });
    try {
      await queue.add('ref:reminder:1:3', { v: 1 }, new Date());
      await waitFor(async () => expect(await client.exists(`${prefix}:contact:ref|reminder|1|3`)).toBe(0));
      expect(runs).toEqual(['ref:reminder:1:3=1']);
      // Added again after it ran: nothing is created (the job's key is still absent right after the add).
      await queue.add('ref:reminder:1:3', { v: 2 }, new Date());
      expect(await client.exists(`${prefix}:contact:ref|reminder|1|3`)).toBe(0);
      expect(await client.pttl(`${prefix}:contact:de:ref|reminder|1|3`)).toBeGreaterThan(3_500_000);

      for (let i = 0; i < 300; i++) await queue.add(`bulk:${i}`, { v: i }, new Date());
      await waitFor(() => expect(runs).toHaveLength(301));
      expect(runs.filter((r) => r.startsWith('ref:'))).toEqual(['ref:reminder:1:3=1']);
      // ~100 kept (XADD MAXLEN ~ trims whole stream nodes), not BullMQ's default 10,000.
      expect(await client.xlen(`${prefix}:contact:events`)).toBeLessThan(300);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  }, 60_000);
});
