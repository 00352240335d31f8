/**
 * The one call that makes a restify server fit to face the public: security headers, per-IP rate
 * limit, body-size limit (413), query/body parsing, the serviceUrl allow-list for unauthenticated
 * `/api/messages`, and the stack-free error formatter. Call it once, before registering routes.
 */
import restify, { type Next, type Request, type Response, type Server } from 'restify';
import type { Logger } from '../logger.js';
import type { HttpConfig } from './config.js';
import { HttpError, formatErrors } from './errors.js';
import { securityHeaders } from './headers.js';
import { clientIp, createRateLimiter, rateLimitInPre, resolveClientIp, type RateLimitStore } from './rateLimit.js';
import { allowServiceUrl } from './serviceUrl.js';

export interface BotIdentity {
  MicrosoftAppId?: string | undefined;
  HOST?: string | undefined;
}

/**
 * No client of ours compresses request bodies, and restify's body reader would inflate them without
 * a bound (the size limit counts compressed bytes): refuse them before any route reads a byte.
 */
function refuseEncodedBodies(req: Request, _res: Response, next: Next) {
  const encoding = req.header('content-encoding');
  if (encoding && encoding.toLowerCase() !== 'identity') {
    return next(new HttpError(415, 'UnsupportedMediaType', 'Compressed request bodies are not accepted.'));
  }
  return next();
}

/** No body any of our clients sends nests deeper; zod, the transcript and the logs all recurse. */
export const MAX_BODY_DEPTH = 32;

/** Nesting depth of a parsed body, measured without recursion (so a hostile body cannot overflow the stack here). */
export function depthOf(value: unknown, limit = MAX_BODY_DEPTH): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > limit) return deepest;
    for (const child of Object.values(v as object)) stack.push([child, depth + 1]);
  }
  return deepest;
}

function refuseDeepBodies(req: Request, _res: Response, next: Next) {
  if (depthOf(req.body) > MAX_BODY_DEPTH) {
    return next(new HttpError(400, 'BadArgument', `The request body nests deeper than ${MAX_BODY_DEPTH} levels.`));
  }
  return next();
}

export function hardenServer(
  server: Server,
  config: HttpConfig & BotIdentity,
  logger?: Logger,
  options: { ipLimitExemptPaths?: readonly string[]; rateLimitStore?: RateLimitStore | null } = {},
): void {
  formatErrors(server, logger);
  server.pre(securityHeaders({ hsts: config.HTTP_HSTS }));
  server.pre(refuseEncodedBodies);
  server.pre(resolveClientIp(config.TRUST_PROXY.trust));
  // In `pre`, so floods of unknown paths are limited as well. Exempt paths are ones whose callers
  // share a few addresses (WeChat's servers) and that are signed and limited per sender instead.
  const exempt = new Set(options.ipLimitExemptPaths ?? []);
  // A route's own limit may join (`limitInPre`): one round trip for both.
  rateLimitInPre(server, [
    {
      keyOf: (req) => (exempt.has(req.getPath()) ? undefined : clientIp(req)),
      limiter: createRateLimiter({ ratePerSec: config.RATE_LIMIT_IP_PER_SEC, burst: config.RATE_LIMIT_IP_BURST }, 'ip', options.rateLimitStore),
      scope: 'client address',
    },
  ]);
  server.use(restify.plugins.queryParser({ mapParams: false }));
  // Unknown content types (WeChat's XML) stay a raw string in req.body, still size-limited.
  server.use(restify.plugins.bodyParser({ maxBodySize: config.HTTP_MAX_BODY_BYTES, mapParams: false }));
  server.use(refuseDeepBodies);
  if (config.MicrosoftAppId === undefined) server.use(allowServiceUrl(config.BOT_SERVICE_URL_ALLOWLIST));
}

/**
 * Where to listen: loopback unless the operator set HOST, or Bot Framework authentication is on
 * (then the Azure channel service must reach us and every request is authenticated).
 */
export function listenHost(config: BotIdentity): string {
  return config.HOST ?? (config.MicrosoftAppId === undefined ? '127.0.0.1' : '0.0.0.0');
}
