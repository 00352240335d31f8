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
import type { Next, Request, Response, Server } from 'restify';
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
 * rate-limiter-flexible's count in Redis, in fewer commands than its own script (which sets the key
 * NX, increments it and reads its TTL on every take — three commands): the increment alone, the
 * TTL set when the increment created the key, and read only past the limit, where the refusal's
 * retry-after needs it (a key found there without a TTL gets one, as the library's script does).
 * Answers {count, ms before the window ends}; for an allowed take that is not the window's first the
 * ms are not read (-1): no caller of an allowed take reads them. The library defines this script under one
 * name for every limiter on the client, so every Redis limiter here must be given it.
 */
const INCR_TTL_LUA = `
local consumed = redis.call('INCRBY', KEYS[1], ARGV[1])
if consumed == tonumber(ARGV[1]) then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  return {consumed, 1000 * ARGV[2]}
end
if consumed <= tonumber(ARGV[3]) then return {consumed, -1} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -1 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  ttl = 1000 * ARGV[2]
end
return {consumed, ttl}
`;

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
  return store
    ? new RateLimiterRedis({ storeClient: store.client, keyPrefix: `${store.prefix}ratelimit:${name}`, ...options, insuranceLimiter: memory, customIncrTtlLuaScript: INCR_TTL_LUA })
    : memory;
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

/** A limit a request may be subject to: `keyOf` undefined = this limit does not apply to it. */
export interface RequestLimit {
  keyOf(req: Request): string | undefined;
  limiter: RateLimiter;
  /** What the key is, for the 429's message ("client address", "conversation"). */
  scope: string;
}

/**
 * restify middleware: 429 with Retry-After once a request's key has used its budget under any of
 * `limits` (read when each request comes, so limits added later apply). Every limit that applies
 * is taken, at once — with Redis, in one round trip (the shared client pipelines what one tick
 * sends, bot/storage/redis.ts) — and the first refusal in order answers.
 */
export function rateLimitsBy(limits: readonly RequestLimit[]) {
  return function rateLimit(req: Request, res: Response, next: Next) {
    const applying = limits.flatMap((limit) => {
      const key = limit.keyOf(req);
      return key === undefined ? [] : [{ limit, key }];
    });
    if (applying.length === 0) return next();
    Promise.all(applying.map(({ limit, key }) => limit.limiter.take(key))).then(
      (verdicts) => {
        const at = verdicts.findIndex((v) => !v.allowed);
        const verdict = verdicts[at];
        if (!verdict || verdict.allowed) return next();
        res.header('Retry-After', String(verdict.retryAfterSec));
        return next(new HttpError(429, 'TooManyRequests', `Too many requests for this ${applying[at]!.limit.scope}; retry after ${verdict.retryAfterSec} s.`));
      },
      (err: unknown) => next(err as Error),
    );
  };
}

/** restify middleware for one limit (see `rateLimitsBy`). */
export function rateLimitBy(keyOf: (req: Request) => string | undefined, limiter: RateLimiter, scope: string) {
  return rateLimitsBy([{ keyOf, limiter, scope }]);
}

/** The limits a hardened server takes in `pre` (see `hardenServer`), by server. */
const preLimits = new WeakMap<Server, RequestLimit[]>();

/** Takes `limits` in `pre` on `server`, and any a route adds with `limitInPre` later. */
export function rateLimitInPre(server: Server, limits: RequestLimit[]): void {
  preLimits.set(server, limits);
  server.pre(rateLimitsBy(limits));
}

/**
 * Adds a route's limit to those `server` takes in `pre`, before the body is read, with the others
 * and in the same round trip. False when the server takes no limits in `pre` (not hardened): the
 * route then takes it itself. In `pre` the route's parameters are not parsed yet: `keyOf` reads the path.
 */
export function limitInPre(server: Server, limit: RequestLimit): boolean {
  const limits = preLimits.get(server);
  if (!limits) return false;
  limits.push(limit);
  return true;
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
