/**
 * Brute force against console logins: failed attempts are counted per user name and per client
 * IP with rate-limiter-flexible (in the shared Redis when there is one, so every instance sees the
 * same count; in memory otherwise). Past the allowance the name or the address is locked out for a
 * while — even the right password is refused then — and a successful login clears the name's count.
 * Only failures count, so a colleague behind the same address who types correctly is not slowed.
 */
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { flexibleLimiter, type RateLimitStore } from '../http/index.js';

/** Wrong passwords for one name within 15 minutes before it is locked for 15 minutes. */
export const USER_FAILURES = 5;
/** Wrong passwords from one address within an hour before it is locked for an hour (many names tried). */
export const IP_FAILURES = 20;

export type LoginVerdict = { allowed: true } | { allowed: false; retryAfterSec: number; scope: 'user' | 'address' };

export class LoginGuard {
  private readonly byUser: RateLimiterAbstract;
  private readonly byIp: RateLimiterAbstract;

  constructor(store?: RateLimitStore | null) {
    // The failure that goes past `points` is the one that blocks, hence one less than allowed.
    this.byUser = flexibleLimiter({ points: USER_FAILURES - 1, duration: 15 * 60, blockDuration: 15 * 60 }, 'login-user', store);
    this.byIp = flexibleLimiter({ points: IP_FAILURES - 1, duration: 3600, blockDuration: 3600 }, 'login-ip', store);
  }

  /** Before the password is checked: is this name or address locked out? */
  async check(name: string, ip: string): Promise<LoginVerdict> {
    const [user, address] = await Promise.all([this.byUser.get(name), this.byIp.get(ip)]);
    for (const [res, scope, limiter] of [[user, 'user', this.byUser], [address, 'address', this.byIp]] as const) {
      if (res && res.consumedPoints > limiter.points) return { allowed: false, retryAfterSec: Math.max(1, Math.ceil(res.msBeforeNext / 1000)), scope };
    }
    return { allowed: true };
  }

  async failed(name: string, ip: string): Promise<void> {
    await Promise.all([this.byUser, this.byIp].map((limiter, i) => limiter.consume(i === 0 ? name : ip).catch((refusal: unknown) => {
      // Refused = this failure used the last allowance: the key is now blocked, which is the point.
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
    })));
  }

  async succeeded(name: string): Promise<void> {
    await this.byUser.delete(name);
  }
}
