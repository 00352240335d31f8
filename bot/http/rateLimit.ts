/**
 * Rate limiting keyed by whatever identifies the caller (client IP, conversation id, WeChat
 * OpenID), with rate-limiter-flexible: counted in Redis when the deployment shares one, so N
 * instances behind a load balancer allow the rate once, not N times; in memory otherwise. If Redis
 * stops answering, each instance falls back to its own memory count (the insurance limiter) rather
 * than refusing everyone or letting everyone through.
 *
 * A limit is stated as a sustained rate and a burst; rate-limiter-flexible counts fixed windows, so
 * it becomes `burst` requests per window of `burst / rate` seconds (the same long-run rate; at a
 * window's edge up to twice the burst can pass).
 */
import proxyaddr from 'proxy-addr';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Next, Request, Response } from 'restify';
import type { RedisClient } from '../storage/redis.js';
import { HttpError } from './errors.js';

export interface RateLimit {
  /** Requests per second allowed over time (may be fractional: 0.5 = one request every two seconds). */
  ratePerSec: number;
  burst: number;
}

/** Where counts are kept: a shared Redis (with the deployment's key prefix), or this process. */
export interface RateLimitStore {
  client: RedisClient;
  prefix: string;
}

export type RateVerdict = { allowed: true } | { allowed: false; retryAfterSec: number };

export interface RateLimiter {
  take(key: string): Promise<RateVerdict>;
}

/**
 * A rate-limiter-flexible limiter in the shared Redis (memory as its insurance) or in memory:
 * `points` per `duration` seconds; past them, the key is blocked for `blockDuration` seconds (0 =
 * until the window ends).
 */
export function flexibleLimiter(
  options: { points: number; duration: number; blockDuration?: number },
  name: string,
  store?: RateLimitStore | null,
): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ ...options, keyPrefix: name });
  return store ? new RateLimiterRedis({ storeClient: store.client, keyPrefix: `${store.prefix}ratelimit:${name}`, ...options, insuranceLimiter: memory }) : memory;
}

export function createRateLimiter(limit: RateLimit, name: string, store?: RateLimitStore | null): RateLimiter {
  const duration = Math.max(1, Math.ceil(limit.burst / limit.ratePerSec));
  const points = Math.max(1, Math.round(limit.burst));
  const limiter = flexibleLimiter({ points, duration }, name, store);
  return {
    async take(key) {
      try {
        await limiter.consume(key);
        return { allowed: true };
      } catch (refusal) {
        if (refusal instanceof RateLimiterRes) return { allowed: false, retryAfterSec: Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)) };
        throw refusal;
      }
    },
  };
}

/**
 * restify middleware: 429 with Retry-After once `keyOf(req)` has used its budget. Requests for
 * which `keyOf` returns undefined are not limited by this limiter.
 */
export function rateLimitBy(keyOf: (req: Request) => string | undefined, limiter: RateLimiter, scope: string) {
  return function rateLimit(req: Request, res: Response, next: Next) {
    const key = keyOf(req);
    if (key === undefined) return next();
    limiter.take(key).then(
      (verdict) => {
        if (verdict.allowed) return next();
        res.header('Retry-After', String(verdict.retryAfterSec));
        return next(new HttpError(429, 'TooManyRequests', `Too many requests for this ${scope}; retry after ${verdict.retryAfterSec} s.`));
      },
      (err: unknown) => next(err as Error),
    );
  };
}

const CLIENT_IP = Symbol('forbear.clientIp');

/**
 * restify `pre` handler: the client's address, decided once per request — the socket's, or, when
 * the socket is a trusted proxy (`TRUST_PROXY`), the nearest address in `X-Forwarded-For` that is
 * not itself a trusted proxy (proxy-addr walks the header from the right, so entries a client wrote
 * in front of what its proxy appended are never reached).
 */
export function resolveClientIp(trust: (address: string, hop: number) => boolean) {
  return function clientAddress(req: Request, _res: Response, next: Next) {
    (req as unknown as Record<symbol, string | undefined>)[CLIENT_IP] = req.socket.remoteAddress === undefined ? undefined : proxyaddr(req, trust);
    return next();
  };
}

/** The address every per-client limit counts (see `resolveClientIp`; the socket's on a server that was not hardened). */
export const clientIp = (req: Request): string | undefined =>
  (req as unknown as Record<symbol, string | undefined>)[CLIENT_IP] ?? req.socket.remoteAddress ?? undefined;
