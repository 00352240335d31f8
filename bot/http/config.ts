/**
 * Settings of the public HTTP surface. Kept as a zod shape so the server's own `Config` can
 * merge it (`Config.extend(HttpConfig.shape)`) and every variable is still validated at start-up.
 */
import proxyaddr from 'proxy-addr';
import { z } from 'zod';
import { flagFromEnv, intFromEnv, listFromEnv } from './env.js';

/**
 * `TRUST_PROXY`: the proxies (addresses, CIDRs, or proxy-addr's `loopback`, `linklocal`,
 * `uniquelocal`) whose `X-Forwarded-For` names the client. Unset = none: the socket's address is
 * the client, and a forwarded header anyone can write is ignored.
 */
const TrustProxy = listFromEnv([]).transform((entries, ctx) => {
  try {
    return { entries, trust: proxyaddr.compile(entries) };
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `comma-separated IP addresses or CIDRs (or loopback, linklocal, uniquelocal): ${(err as Error).message}` });
    return z.NEVER;
  }
});

export const HttpConfig = z.object({
  /** Largest accepted request body; larger bodies get 413 before any parsing. */
  HTTP_MAX_BODY_BYTES: intFromEnv(64 * 1024, 1024, 16 * 1024 * 1024),
  /** Per client IP: sustained requests per second and the burst allowed on top. */
  RATE_LIMIT_IP_PER_SEC: intFromEnv(20, 1, 100_000),
  RATE_LIMIT_IP_BURST: intFromEnv(60, 1, 1_000_000),
  /** Per conversation: a person types far slower than this; a script does not. */
  RATE_LIMIT_CONVERSATION_PER_MIN: intFromEnv(30, 1, 100_000),
  RATE_LIMIT_CONVERSATION_BURST: intFromEnv(10, 1, 100_000),
  TRUST_PROXY: TrustProxy,
  /** Only behind TLS: browsers then refuse plain HTTP to this host for a year. */
  HTTP_HSTS: flagFromEnv,
  /**
   * Without Bot Framework authentication, `/api/messages` only answers activities whose
   * serviceUrl matches one of these patterns (`*` matches within one URL segment, e.g. a port).
   */
  BOT_SERVICE_URL_ALLOWLIST: listFromEnv(['http://localhost:*', 'http://127.0.0.1:*']),
});
export type HttpConfig = z.infer<typeof HttpConfig>;
