/**
 * Rate limits hold across instances: a client spreading its requests over two instances behind a
 * load balancer gets the same budget as one hitting a single instance (counted in Redis).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Cardholder, setUpOnce, startInstance, type Instance } from '../scale/fleet.js';
import { useTestRedis } from '../support/redis.js';

const redis = useTestRedis('shared-limits');
let a: Instance;
let b: Instance;

setUpOnce(async () => {
  const env = { RATE_LIMIT_CONVERSATION_PER_MIN: '1', RATE_LIMIT_CONVERSATION_BURST: '2' };
  const settings = { url: redis().url, prefix: redis().prefix };
  [a, b] = await Promise.all([startInstance('a', settings, { env }), startInstance('b', settings, { env })]);
});
afterAll(async () => {
  await Promise.all([a?.server.close(), b?.server.close()]);
});

describe('shared rate limits', () => {
  it('a conversation gets its burst once, not once per instance', async () => {
    const c = await Cardholder.open(a, b);
    const statuses: number[] = [];
    for (const on of [a, b, a, b]) statuses.push((await c.post(on, c.message('hi'))).status);
    expect(statuses.slice(0, 2)).toEqual([200, 200]);
    expect(statuses.slice(2)).toEqual([429, 429]);
  });
});
