/**
 * Console sessions: an HMAC-signed, expiring cookie (HttpOnly, SameSite=Strict) naming the user
 * and role. Every API call is authorised on the server by role; state-changing calls also need a
 * custom header, which a cross-site form cannot send (CSRF defence on top of SameSite).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Next, Request, Response } from 'restify';
import { z } from 'zod';
import { HttpError } from '../http/errors.js';
import { ConsoleRole } from './users.js';

export const COOKIE = 'forbear_console';
export const CSRF_HEADER = 'x-forbear-console';

export const Session = z.object({ name: z.string(), role: ConsoleRole, exp: z.number().int() });
export type Session = z.infer<typeof Session>;

export class SessionSigner {
  constructor(
    private readonly secret: string,
    private readonly ttlSec: number,
    private readonly now: () => number = Date.now,
  ) {}

  issue(name: string, role: ConsoleRole): { cookie: string; session: Session } {
    const session = { name, role, exp: Math.floor(this.now() / 1000) + this.ttlSec };
    const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
    const cookie = `${COOKIE}=${payload}.${this.sign(payload)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${this.ttlSec}`;
    return { cookie, session };
  }

  read(req: Request): Session | null {
    const raw = (req.header('cookie') ?? '').split(';').map((c) => c.trim()).find((c) => c.startsWith(`${COOKIE}=`));
    const [payload, signature] = (raw?.slice(COOKIE.length + 1) ?? '').split('.');
    if (!payload || !signature) return null;
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    const parsed = Session.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    return parsed.success && parsed.data.exp > this.now() / 1000 ? parsed.data : null;
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

/** restify middleware: 401 without a valid session, 403 for another role, CSRF header on writes. */
export function requireRole(signer: SessionSigner, ...roles: ConsoleRole[]) {
  return (req: Request, _res: Response, next: Next) => {
    const session = signer.read(req);
    if (!session) return next(new HttpError(401, 'Unauthorized', 'Please log in.'));
    if (!roles.includes(session.role)) return next(new HttpError(403, 'Forbidden', `This needs the role ${roles.join(' or ')}.`));
    if (req.method !== 'GET' && req.header(CSRF_HEADER) !== '1') {
      return next(new HttpError(403, 'Forbidden', `State-changing calls need the ${CSRF_HEADER} header.`));
    }
    (req as unknown as Record<symbol, Session>)[SESSION] = session;
    return next();
  };
}
