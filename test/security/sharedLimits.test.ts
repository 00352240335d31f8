/**
 * Limits hold across instances: a client spreading its requests over two instances behind a load
 * balancer gets the same budget as one hitting a single instance, and the cap on open anonymous
 * conversations is one cap for the fleet, not one per instance (both counted in Redis).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Cardholder, setUpOnce, startInstance, type Instance } from '../support/fleet.js';
import { useTestRedis } from '../support/redis.js';

const redis = useTestRedis('shared-limits');
const CAP = 3;
let a: Instance;
let b: Instance;

setUpOnce(async () => {
  const env = { RATE_LIMIT_CONVERSATION_PER_MIN: '1', RATE_LIMIT_CONVERSATION_BURST: '2', DIRECTLINE_MAX_OPEN_CONVERSATIONS: String(CAP) };
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

/** Opens a Direct Line conversation on `on` (token from the same instance): the HTTP status of the start. */
async function openOn(on: Instance): Promise<number> {
  const generated = (await (await fetch(`${on.base}/v3/directline/tokens/generate`, { method: 'POST' })).json()) as { token: string };
  const started = await fetch(`${on.base}/v3/directline/conversations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${generated.token}`, 'content-type': 'application/json' },
    body: '{}',
  });
  return started.status;
}

describe('the cap on open conversations', () => {
  it('is one cap for the fleet: conversations opened on either instance count, then both answer 503', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 2 * CAP; i++) statuses.push(await openOn(i % 2 ? b : a));
    // Other tests of this file may have opened some already; counted per instance, 2 × CAP would open.
    const opened = statuses.filter((s) => s === 201).length;
    expect(opened).toBeGreaterThan(0);
    expect(opened).toBeLessThanOrEqual(CAP);
    expect(statuses.slice(opened)).toEqual(statuses.slice(opened).map(() => 503));
    expect(statuses.slice(-2)).toEqual([503, 503]);
  });
});
