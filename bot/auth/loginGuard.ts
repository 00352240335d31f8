/**
 * Brute force against console logins: failed attempts are counted per user name and per client
 * IP with rate-limiter-flexible (in the shared Redis when there is one, so every instance sees the
 * same count; in memory otherwise). After a few free failures every further failure locks the name
 * (or the address) for a while, and each lock is twice as long as the one before, up to a ceiling —
 * exponential backoff ending in a long lockout. While locked even the right password is refused
 * (and no password is checked). A successful login clears the name's count; the address's count is
 * only forgotten when its window ends, so one valid account cannot launder an address's guesses.
 * Only failures count, so a colleague behind the same address who types correctly is not slowed.
 *
 * An attempt that would lock if wrong runs alone: it holds a slot (a one-point limiter) until its
 * answer, so a burst of concurrent guesses fired the moment a lock ends gets one guess, not one
 * per request in flight (the lock is only set once the password has been found wrong).
 *
 * rate-limiter-flexible has no growing block of its own (its `blockDuration` is fixed), so the
 * growth is the small `lockSeconds` below on top of its counter and its `block()`.
 */
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { flexibleLimiter, type RateLimitStore } from '../http/index.js';

export interface Backoff {
  /** Failures within the window that cost nothing but the answer. */
  free: number;
  /** The lock imposed by the first failure past `free`; each later failure doubles it. */
  firstLockSec: number;
  /** The ceiling of a lock (the lockout). */
  maxLockSec: number;
  /** Failures are remembered this long from the first one (a success clears a name's earlier). */
  windowSec: number;
}

/** One name: 3 free guesses, then locks of 1, 2, 4 … minutes, at most an hour (a per-name lock lets anyone lock a known name out, so it stays short). */
export const USER_BACKOFF: Backoff = { free: 3, firstLockSec: 60, maxLockSec: 3600, windowSec: 86_400 };
/** One address (many names tried; offices share an address): 20 free, then 1, 2, 4 … minutes, at most a day. */
export const IP_BACKOFF: Backoff = { free: 20, firstLockSec: 60, maxLockSec: 86_400, windowSec: 86_400 };

/** The failure that first locks a name / an address (the ones before it are answered 401 and cost nothing more). */
export const USER_FAILURES = USER_BACKOFF.free + 1;
export const IP_FAILURES = IP_BACKOFF.free + 1;

/** How long the `failures`-th failure within the window locks for (0 = not at all). */
export function lockSeconds(backoff: Backoff, failures: number): number {
  if (failures <= backoff.free) return 0;
  return Math.min(backoff.maxLockSec, backoff.firstLockSec * 2 ** (failures - backoff.free - 1));
}

export type LoginVerdict = { allowed: true } | { allowed: false; retryAfterSec: number; scope: 'user' | 'address' };

interface Scope {
  name: 'user' | 'address';
  backoff: Backoff;
  /** Failures in the window (points far above any count, so `consume` never refuses). */
  failures: RateLimiterAbstract;
  /** A key is locked while `block()`ed here. */
  locks: RateLimiterAbstract;
  /** Held by the one attempt in flight that would lock if wrong. */
  slots: RateLimiterAbstract;
}

/** A slot left behind by a request that never answered (a crash) frees itself after this long. */
const SLOT_SEC = 30;

export class LoginGuard {
  private readonly scopes: readonly [Scope, Scope];

  constructor(store?: RateLimitStore | null, backoff: { user: Backoff; address: Backoff } = { user: USER_BACKOFF, address: IP_BACKOFF }) {
    const scope = (name: Scope['name'], b: Backoff, label: string): Scope => ({
      name,
      backoff: b,
      failures: flexibleLimiter({ points: Number.MAX_SAFE_INTEGER, duration: b.windowSec }, `login-${label}-failures`, store),
      locks: flexibleLimiter({ points: 1, duration: b.maxLockSec }, `login-${label}-lock`, store),
      slots: flexibleLimiter({ points: 1, duration: SLOT_SEC }, `login-${label}-slot`, store),
    });
    this.scopes = [scope('user', backoff.user, 'user'), scope('address', backoff.address, 'ip')];
  }

  /**
   * Before the password is checked: is this name or address locked out, or is another attempt that
   * would lock it still waiting for its answer? An allowed attempt must end in `failed` or `succeeded`.
   */
  async check(name: string, ip: string): Promise<LoginVerdict> {
    const keys = [name, ip] as const;
    const locks = await Promise.all(this.scopes.map((s, i) => s.locks.get(keys[i]!)));
    for (const [i, lock] of locks.entries()) {
      // `block()` sets the count past `points`: that is what a lock looks like to `get`.
      if (lock && lock.consumedPoints > this.scopes[i]!.locks.points && lock.msBeforeNext > 0) {
        return { allowed: false, retryAfterSec: Math.max(1, Math.ceil(lock.msBeforeNext / 1000)), scope: this.scopes[i]!.name };
      }
    }
    const taken: Scope[] = [];
    for (const [i, s] of this.scopes.entries()) {
      const failures = (await s.failures.get(keys[i]!))?.consumedPoints ?? 0;
      if (lockSeconds(s.backoff, failures + 1) === 0) continue;
      // consume() is atomic (INCR in Redis): of concurrent attempts, one gets the slot.
      const slot = await s.slots.consume(keys[i]!).catch((refusal: unknown) => {
        if (refusal instanceof RateLimiterRes) return null;
        throw refusal;
      });
      if (!slot) {
        await Promise.all(taken.map((t) => t.slots.delete(keys[this.scopes.indexOf(t)]!)));
        return { allowed: false, retryAfterSec: 1, scope: s.name };
      }
      taken.push(s);
    }
    return { allowed: true };
  }

  async failed(name: string, ip: string): Promise<void> {
    await Promise.all(
      this.scopes.map(async (s, i) => {
        const key = i === 0 ? name : ip;
        const counted = await s.failures.consume(key);
        const lock = lockSeconds(s.backoff, counted.consumedPoints);
        if (lock > 0) await s.locks.block(key, lock);
        await s.slots.delete(key);
      }),
    );
  }

  async succeeded(name: string, ip: string): Promise<void> {
    await Promise.all([this.scopes[0].failures.delete(name), this.scopes[0].slots.delete(name), this.scopes[1].slots.delete(ip)]);
  }
}
