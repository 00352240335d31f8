/**
 * Backoff with lockout against password guessing: each failure past the free ones locks the name
 * (or the address) for twice as long as the lock before, up to a ceiling — counted in memory and in
 * the shared Redis (where every instance sees the same locks). The schedule is shrunk to seconds
 * here so the test can let each lock run out (it waits for the guard to unlock, never a guessed time).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { IP_BACKOFF, LoginGuard, USER_BACKOFF, lockSeconds, type Backoff } from '../../bot/auth/loginGuard.js';
import type { RateLimitStore } from '../../bot/http/index.js';
import { useTestRedis } from '../support/redis.js';

const redis = useTestRedis('login-backoff');

let redisClient: RateLimitStore['client'] | undefined;
beforeAll(async () => {
  redisClient = (await redis().connect('login-backoff')).client;
});

const FAST: Backoff = { free: 2, firstLockSec: 1, maxLockSec: 2, windowSec: 600 };
const SLOW: Backoff = { free: 1000, firstLockSec: 1, maxLockSec: 4, windowSec: 600 };

/** Polls until the guard lets an attempt through (the caller then answers it with failed/succeeded). */
async function untilUnlocked(guard: LoginGuard, name: string, ip: string): Promise<void> {
  while (!(await guard.check(name, ip)).allowed) await new Promise((r) => setTimeout(r, 100));
}

/** Guess wrong until locked, let the lock run out, guess again, and again: the locks seen. */
async function locksSeen(guard: LoginGuard, name: (i: number) => string, ip: string, locks: number): Promise<number[]> {
  const seen: number[] = [];
  let lockedFor = 0;
  for (let i = 0; seen.length < locks; i++) {
    const verdict = await guard.check(name(i), ip);
    if (verdict.allowed) {
      if (lockedFor > 0) seen.push(lockedFor);
      lockedFor = 0;
      await guard.failed(name(i), ip);
    } else {
      // The first refusal comes right after the failure that locked: the whole lock.
      if (lockedFor === 0) lockedFor = verdict.retryAfterSec;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return seen;
}

describe.each([
  ['memory', (): RateLimitStore | null => null],
  ['Redis', (): RateLimitStore => ({ client: redisClient!, prefix: `${redis().prefix}${Math.random().toString(36).slice(2)}:` })],
])('login backoff (%s)', (_where, store) => {
  it('a name: free failures, then each lock twice the last, up to the ceiling, whatever the address', async () => {
    const guard = new LoginGuard(store(), { user: FAST, address: SLOW });
    for (let i = 0; i < FAST.free; i++) {
      expect((await guard.check('agent', '10.0.0.1')).allowed).toBe(true);
      await guard.failed('agent', '10.0.0.1');
    }
    // The fixed lockout this replaces showed one and the same lock every time.
    expect(await locksSeen(guard, () => 'agent', '10.0.0.1', 3)).toEqual([1, 2, 2]);
    // Locked is locked from any address (the name is the target), until a lock runs out.
    await guard.failed('agent', '10.0.0.1');
    expect(await guard.check('agent', '10.9.9.9')).toMatchObject({ allowed: false, scope: 'user' });
    await untilUnlocked(guard, 'agent', '10.9.9.9');
    // A success clears the name's count: the next failure is free again.
    await guard.succeeded('agent', '10.9.9.9');
    await guard.failed('agent', '10.0.0.1');
    expect((await guard.check('agent', '10.0.0.1')).allowed).toBe(true);
  }, 60_000);

  it('an address trying many names (one guess each) backs off the same way, and a success does not clear it', async () => {
    const guard = new LoginGuard(store(), { user: SLOW, address: FAST });
    expect(await locksSeen(guard, (i) => `guess${i}`, '10.0.0.2', 2)).toEqual([1, 2]);
    await guard.succeeded('someone', '10.0.0.2');
    await guard.failed('guess-next', '10.0.0.2');
    expect(await guard.check('anyone', '10.0.0.2')).toMatchObject({ allowed: false, scope: 'address' });
    // Another address is not affected.
    expect((await guard.check('anyone', '10.0.0.3')).allowed).toBe(true);
  }, 60_000);

  it('a burst of concurrent guesses when a lock has run out (or the free ones are spent) gets one guess, not one per request', async () => {
    const guard = new LoginGuard(store(), { user: FAST, address: SLOW });
    for (let i = 0; i < FAST.free; i++) await guard.failed('burst', '10.0.0.4');
    const burst = await Promise.all(Array.from({ length: 10 }, () => guard.check('burst', '10.0.0.4')));
    expect(burst.filter((v) => v.allowed)).toHaveLength(1);
    await guard.failed('burst', '10.0.0.4');
    await untilUnlocked(guard, 'burst', '10.0.0.4');
    await guard.failed('burst', '10.0.0.4');
    expect((await guard.check('burst', '10.0.0.4')).allowed).toBe(false);
    await untilUnlocked(guard, 'burst', '10.0.0.4');
    const again = await Promise.all(Array.from({ length: 10 }, () => guard.check('burst', '10.0.0.4')));
    expect(again.filter((v) => v.allowed)).toHaveLength(0); // the one let through by untilUnlocked is still in flight
    await guard.succeeded('burst', '10.0.0.4');
    // A success frees the name entirely; free failures are concurrent again.
    expect((await Promise.all(Array.from({ length: 2 }, () => guard.check('burst', '10.0.0.4')))).every((v) => v.allowed)).toBe(true);
  }, 60_000);
});

describe('the shipped schedule', () => {
  it('a name: 3 free failures, then 1, 2, 4 … minutes, an hour at most; an address: 20 free, then up to a day', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 50].map((n) => lockSeconds(USER_BACKOFF, n))).toEqual([0, 0, 0, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    expect([20, 21, 22, 31, 32, 1000].map((n) => lockSeconds(IP_BACKOFF, n))).toEqual([0, 60, 120, 61_440, 86_400, 86_400]);
  });
});
