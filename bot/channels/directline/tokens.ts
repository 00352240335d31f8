/**
 * Direct Line tokens: `<payload>.<signature>`, both base64url; the payload names one conversation
 * and an expiry, the signature is HMAC-SHA256 over the payload with the server secret. A token is
 * the only key to its conversation, so it is checked in constant time and never logged.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../../logger.js';

export const TokenClaims = z.object({
  /** conversation id */
  c: z.string().min(1).max(128),
  /** expiry, seconds since the epoch */
  x: z.number().int().positive(),
  /** when the first token of this chain of refreshes was issued, seconds since the epoch */
  i: z.number().int().positive().optional(),
});
export type TokenClaims = z.infer<typeof TokenClaims>;

export type Verification =
  | { ok: true; conversationId: string; expiresAt: number; issuedAt: number }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' };

export interface IssuedToken {
  token: string;
  conversationId: string;
  /** seconds until expiry, as Direct Line's `expires_in` */
  expiresIn: number;
}

export interface TokenService {
  /** `firstIssuedAt`: carried over from the token being refreshed, so a chain of refreshes ends. */
  issue(conversationId: string, firstIssuedAt?: number): IssuedToken;
  verify(token: string): Verification;
}

/** Unpadded base64url only: Node's decoder skips foreign characters and padding, which would let many spellings verify. */
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const canonical = (part: string) => BASE64URL.test(part) && Buffer.from(part, 'base64url').toString('base64url') === part;

/**
 * Tokens whose signature and claims were checked, kept by their exact text: a client sends the same
 * token with every request, and checking it again (two base64 round trips, an HMAC, a JSON and zod
 * parse) cost about 2% of a Forbear turn's CPU. Only a string identical to one that verified hits;
 * expiry and the chain's lifetime are still checked on every use. The oldest are dropped past this.
 */
const VERIFIED_KEPT = 4096;

export function createTokenService(options: { secret: string; ttlSec: number; maxLifetimeSec?: number; now?: () => number }): TokenService {
  const now = options.now ?? Date.now;
  const maxLifetimeSec = options.maxLifetimeSec ?? Infinity;
  const sign = (payload: string) => createHmac('sha256', options.secret).update(payload).digest();
  const verified = new Map<string, TokenClaims>();

  /** The claims of a well-formed token signed with our secret, or why not. */
  function check(token: string): TokenClaims | { reason: 'malformed' | 'signature' } {
    const parts = token.split('.');
    if (parts.length !== 2 || !parts[0] || !parts[1]) return { reason: 'malformed' };
    const [payload, signature] = parts as [string, string];
    if (!canonical(payload) || !canonical(signature)) return { reason: 'malformed' };
    const given = Buffer.from(signature, 'base64url');
    const expected = sign(payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { reason: 'signature' };
    try {
      return TokenClaims.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    } catch {
      return { reason: 'malformed' };
    }
  }

  return {
    issue(conversationId, firstIssuedAt) {
      const nowSec = Math.floor(now() / 1000);
      const origin = firstIssuedAt ?? nowSec;
      // Never beyond the chain's maximum lifetime: the last refresh gets only what is left.
      const expiry = Math.min(nowSec + options.ttlSec, origin + maxLifetimeSec);
      const claims: TokenClaims = { c: conversationId, x: expiry, i: origin };
      const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
      return { token: `${payload}.${sign(payload).toString('base64url')}`, conversationId, expiresIn: Math.max(0, expiry - nowSec) };
    },

    verify(token) {
      let claims = verified.get(token);
      if (claims === undefined) {
        const checked = check(token);
        if ('reason' in checked) return { ok: false, reason: checked.reason };
        claims = checked;
        verified.set(token, claims);
        if (verified.size > VERIFIED_KEPT) verified.delete(verified.keys().next().value!);
      }
      const issuedAt = claims.i ?? claims.x - options.ttlSec;
      if (claims.x * 1000 <= now() || (issuedAt + maxLifetimeSec) * 1000 <= now()) {
        verified.delete(token);
        return { ok: false, reason: 'expired' };
      }
      return { ok: true, conversationId: claims.c, expiresAt: claims.x, issuedAt };
    },
  };
}

/**
 * The configured secret, or a random one. A random secret is fine for one process on one machine,
 * but tokens then die with the process and are not accepted by a second instance.
 */
export function resolveTokenSecret(configured: string | undefined, logger?: Logger): string {
  if (configured !== undefined) return configured;
  logger?.warn(
    'DIRECTLINE_SECRET is not set: using a random secret; Web Chat tokens will not survive a restart and will not work across several instances',
  );
  return randomBytes(32).toString('base64url');
}
