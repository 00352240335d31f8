/**
 * Token-bucket rate limiting keyed by whatever identifies the caller (client IP, conversation id,
 * WeChat OpenID). restify's own `plugins.throttle` keys only by IP / X-Forwarded-For / username and
 * sends no Retry-After, so this small bucket table is written here instead.
 */
import type { Next, Request, Response } from 'restify';
import { HttpError } from './errors.js';

export interface RateLimit {
  /** Tokens added per second (may be fractional: 0.5 = one request every two seconds). */
  ratePerSec: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Takes one token for `key`; answers how many seconds to wait when there is none. */
export function createRateLimiter(limit: RateLimit, now: () => number = Date.now, maxKeys = 50_000) {
  const buckets = new Map<string, Bucket>();
  return {
    take(key: string): { allowed: true } | { allowed: false; retryAfterSec: number } {
      const t = now();
      const bucket = buckets.get(key) ?? { tokens: limit.burst, updatedMs: t };
      bucket.tokens = Math.min(limit.burst, bucket.tokens + ((t - bucket.updatedMs) / 1000) * limit.ratePerSec);
      bucket.updatedMs = t;
      // Re-inserting keeps the Map in least-recently-used order, so the oldest keys go first.
      buckets.delete(key);
      buckets.set(key, bucket);
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value as string);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      return { allowed: false, retryAfterSec: Math.max(1, Math.ceil((1 - bucket.tokens) / limit.ratePerSec)) };
    },
  };
}

/**
 * restify middleware: 429 with Retry-After once `keyOf(req)` has used its budget. Requests for
 * which `keyOf` returns undefined are not limited by this instance.
 */
export function rateLimitBy(
  keyOf: (req: Request) => string | undefined,
  limit: RateLimit,
  scope: string,
  now?: () => number,
) {
  const limiter = createRateLimiter(limit, now);
  return function rateLimit(req: Request, res: Response, next: Next) {
    const key = keyOf(req);
    if (key === undefined) return next();
    const verdict = limiter.take(key);
    if (verdict.allowed) return next();
    res.header('Retry-After', String(verdict.retryAfterSec));
    return next(
      new HttpError(429, 'TooManyRequests', `Too many requests for this ${scope}; retry after ${verdict.retryAfterSec} s.`),
    );
  };
}

export const clientIp = (req: Request): string | undefined => req.socket.remoteAddress ?? undefined;
