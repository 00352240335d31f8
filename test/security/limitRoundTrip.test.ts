/**
 * A client's message passes two limits, its address's and its conversation's. With Redis both are
 * taken in the server's `pre` step, in one round trip (bot/http/rateLimit.ts, `rateLimitsBy`):
 * counted on a Redis of the test's own, whose `total_reads_processed` grows by one per round trip.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Cardholder, setUpOnce, startInstance, useOwnedRedis, type Instance } from '../support/fleet.js';

const owned = useOwnedRedis();

let instance: Instance;

setUpOnce(async () => {
  // The address's limit far away, the conversation's at one message: a refused message then costs nothing but its limits.
  instance = await startInstance('limits', { url: owned.url, prefix: 'limits:' }, { env: { RATE_LIMIT_CONVERSATION_PER_MIN: '1', RATE_LIMIT_CONVERSATION_BURST: '1' } });
});
afterAll(async () => {
  await instance?.server.close();
});

/** Round trips Redis served while `work` ran (the INFO that reads the counter after it is one). */
async function roundTrips(work: () => Promise<unknown>): Promise<number> {
  const reads = async () => Number(/total_reads_processed:(\d+)/.exec(await owned.admin.info('stats'))![1]);
  const before = await reads();
  await work();
  return (await reads()) - before - 1;
}

describe('the limits of a message', () => {
  it('are taken together: a message refused by its conversation’s limit cost one round trip for both limits', async () => {
    const c = await Cardholder.open(instance, instance);
    expect((await c.post(instance, c.message('hi'))).status).toBe(200);
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      let status = 0;
      counts.push(await roundTrips(async () => (status = (await c.post(instance, c.message(`again ${i}`))).status)));
      expect(status).toBe(429);
    }
    // The fewest of three: the bot's queues poll Redis on their own now and then.
    expect(Math.min(...counts)).toBe(1);
    // Both were counted: the address's limit too (its key holds this client's requests).
    expect(Number(await owned.admin.get('limits:ratelimit:ip:127.0.0.1'))).toBeGreaterThan(3);
  });
});
