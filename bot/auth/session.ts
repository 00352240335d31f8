/**
 * Console sessions: an HMAC-signed, expiring cookie (HttpOnly, SameSite=Strict, Secure behind TLS)
 * naming a session id, the user and the role, and the session kept server-side (the shared
 * key-value store: Redis when the deployment has one) so that logging out or a supervisor's revoke
 * ends it on every instance — a copied cookie is refused afterwards. Every API call is authorised on
 * the server by role; state-changing calls (and the login) also need a custom header, which a
 * cross-site form cannot send (CSRF defence on top of SameSite).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Next, Request, Response } from 'restify';
import { z } from 'zod';
import { HttpError } from '../http/errors.js';
import type { KeyValueStore } from '../storage/index.js';
import { ConsoleRole } from './users.js';

export const COOKIE = 'forbear_console';
export const CSRF_HEADER = 'x-forbear-console';

export const Session = z.object({ sid: z.string().regex(/^[A-Za-z0-9_-]{22,64}$/), name: z.string(), role: ConsoleRole, iat: z.number().int(), exp: z.number().int() });
export type Session = z.infer<typeof Session>;

/** Server-side: a live session (absent = logged out, revoked or expired). */
export const LiveSession = z.object({ name: z.string() });
/** Server-side: sessions of this user issued at or before `notBefore` (ms) are revoked. */
export const UserRevocation = z.object({ notBefore: z.number().int() });

export interface SessionStores {
  live: KeyValueStore<z.infer<typeof LiveSession>>;
  revoked: KeyValueStore<z.infer<typeof UserRevocation>>;
}

/** The CSRF check alone (the login has no session yet but must not be reachable from a cross-site form). */
export function csrfRefusal(req: Request): HttpError | undefined {
  return req.header(CSRF_HEADER) === '1' ? undefined : new HttpError(403, 'Forbidden', `State-changing calls need the ${CSRF_HEADER} header.`);
}

export class SessionSigner {
  constructor(
    private readonly secret: string,
    private readonly ttlSec: number,
    private readonly stores: SessionStores,
    private readonly options: { secure: boolean } = { secure: false },
    private readonly now: () => number = Date.now,
  ) {}

  async issue(name: string, role: ConsoleRole): Promise<{ cookie: string; session: Session }> {
    const iat = this.now();
    const session = { sid: randomBytes(24).toString('base64url'), name, role, iat, exp: Math.floor(iat / 1000) + this.ttlSec };
    await this.stores.live.set(session.sid, { name }, this.ttlSec);
    const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
    return { cookie: this.cookie(`${payload}.${this.sign(payload)}`, this.ttlSec), session };
  }

  /** The cookie that clears the session in the browser. */
  cleared(): string {
    return this.cookie('', 0);
  }

  async read(req: Request): Promise<Session | null> {
    const raw = (req.header('cookie') ?? '').split(';').map((c) => c.trim()).find((c) => c.startsWith(`${COOKIE}=`));
    const [payload, signature] = (raw?.slice(COOKIE.length + 1) ?? '').split('.');
    if (!payload || !signature) return null;
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    const parsed = Session.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    if (!parsed.success || parsed.data.exp <= this.now() / 1000) return null;
    const [live, revoked] = await Promise.all([this.stores.live.get(parsed.data.sid), this.stores.revoked.get(parsed.data.name)]);
    if (live?.name !== parsed.data.name || (revoked && parsed.data.iat <= revoked.notBefore)) return null;
    return parsed.data;
  }

  /** Logout: this session ends on every instance. */
  async end(session: Session): Promise<void> {
    await this.stores.live.delete(session.sid);
  }

  /** Revoke: every session of `name` issued until now ends on every instance (kept as long as a session can live). */
  async revokeUser(name: string): Promise<void> {
    await this.stores.revoked.set(name, { notBefore: this.now() }, this.ttlSec);
  }

  private cookie(value: string, maxAgeSec: number): string {
    return `${COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict;${this.options.secure ? ' Secure;' : ''} Max-Age=${maxAgeSec}`;
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }
}

const SESSION = Symbol('forbear.session');

export function sessionOf(req: Request): Session {
  const session = (req as unknown as Record<symbol, Session | undefined>)[SESSION];
  if (!session) throw new Error('sessionOf called on a route without requireRole');
  return session;
}

/** restify middleware: 401 without a live session, 403 for another role, CSRF header on writes. */
export function requireRole(signer: SessionSigner, ...roles: ConsoleRole[]) {
  return (req: Request, _res: Response, next: Next) => {
    signer
      .read(req)
      .then(
        (session): Error | undefined => {
          if (!session) return new HttpError(401, 'Unauthorized', 'Please log in.');
          if (!roles.includes(session.role)) return new HttpError(403, 'Forbidden', `This needs the role ${roles.join(' or ')}.`);
          if (req.method !== 'GET') {
            const refusal = csrfRefusal(req);
            if (refusal) return refusal;
          }
          (req as unknown as Record<symbol, Session>)[SESSION] = session;
          return undefined;
        },
        (err: unknown) => err as Error,
      )
      .then((err) => (err ? next(err) : next()));
  };
}
