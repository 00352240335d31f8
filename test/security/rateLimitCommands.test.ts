/**
 * A rate limit's take in Redis is one command inside its script while the window runs (INCRBY);
 * the TTL is set when the take opens the window and read only past the limit, for the refusal's
 * retry-after (bot/http/rateLimit.ts). Counted on a Redis of the test's own (`INFO commandstats`,
 * which counts a script's inner calls).
 */
import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../bot/http/rateLimit.js';
import { useOwnedRedisConnection } from '../support/fleet.js';
import { commandCalls } from '../support/redisServer.js';

const owned = useOwnedRedisConnection('limits:');

describe('a rate limit in Redis', () => {
  // 3 requests per window of 30 s.
  const limiter = () => createRateLimiter({ ratePerSec: 0.1, burst: 3 }, 'test', { client: owned.connection.client, prefix: 'limits:' });

  it('takes one INCRBY per allowed request, sets the window once, and reads the TTL only to refuse', async () => {
    const limit = limiter();
    await owned.admin.config('RESETSTAT');
    for (let i = 0; i < 3; i++) expect(await limit.take('a')).toEqual({ allowed: true });
    expect(await commandCalls(owned.admin)).toMatchObject({ incrby: 3, expire: 1 });
    expect((await commandCalls(owned.admin))['pttl']).toBeUndefined();
    expect(await owned.admin.pttl('limits:ratelimit:test:a')).toBeGreaterThan(29_000);

    await owned.admin.config('RESETSTAT');
    const refused = await limit.take('a');
    expect(refused.allowed).toBe(false);
    expect(refused.allowed === false && refused.retryAfterSec).toBeGreaterThan(28);
    expect(refused.allowed === false && refused.retryAfterSec).toBeLessThanOrEqual(30);
    expect(await commandCalls(owned.admin)).toMatchObject({ incrby: 1, pttl: 1 });
    expect((await commandCalls(owned.admin))['expire']).toBeUndefined();
  });

  it('gives a count left without a TTL one when it refuses, so the key cannot block for ever', async () => {
    const limit = limiter();
    await owned.admin.set('limits:ratelimit:test:b', '3');
    expect((await limit.take('b')).allowed).toBe(false);
    expect(await owned.admin.pttl('limits:ratelimit:test:b')).toBeGreaterThan(29_000);
  });
});
