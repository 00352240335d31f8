/**
 * Signing in to the consoles (agent, compliance, operations — one set of console users): the login
 * with its lock-out, logout, "who am I", a supervisor's revocation of a user's sessions, and the
 * sign-in form the three console pages share (`/console/assets/signin.js`). The paths stay under
 * `/agent/api/` where the consoles and their tests have always called them.
 */
import { readFileSync } from 'node:fs';
import type { Request, Response, Server } from 'restify';
import { z } from 'zod';
import { HttpError, parseOr400 } from '../http/errors.js';
import { clientIp } from '../http/index.js';
import { serveAssets, asset } from '../http/pages.js';
import { csrfRefusal, requireRole, sessionOf, type SessionSigner } from './session.js';
import type { LoginGuard } from './loginGuard.js';
import { authenticate, type ConsoleUser } from './users.js';

const Login = z.object({ name: z.string().min(1).max(64), password: z.string().min(1).max(200) }).strict();
const Revoke = z.object({ name: z.string().min(1).max(64) }).strict();

export function registerSignIn(server: Server, deps: { users: readonly ConsoleUser[]; signer: SessionSigner; loginGuard: LoginGuard }): void {
  const { users, signer, loginGuard } = deps;
  const anyConsole = requireRole(signer, 'agent', 'supervisor', 'compliance', 'operations');
  const script = new URL('./static/signin.js', import.meta.url);
  serveAssets(server, { '/console/assets/signin.js': asset('text/javascript; charset=utf-8', readFileSync(script), 'no-cache') });

  server.post('/agent/api/login', async (req: Request, res: Response) => {
    const csrf = csrfRefusal(req);
    if (csrf) throw csrf;
    const { name, password } = parseOr400(Login, req.body ?? {});
    const ip = clientIp(req) ?? 'unknown';
    const verdict = await loginGuard.check(name, ip);
    if (!verdict.allowed) {
      res.header('Retry-After', String(verdict.retryAfterSec));
      const who = verdict.scope === 'user' ? 'this name' : 'this address';
      throw new HttpError(429, 'TooManyRequests', `Too many failed logins for ${who}; locked, try again in ${Math.ceil(verdict.retryAfterSec / 60)} min.`);
    }
    const user = await authenticate(users, name, password);
    if (!user) {
      await loginGuard.failed(name, ip);
      throw new HttpError(401, 'Unauthorized', 'Wrong name or password.');
    }
    await loginGuard.succeeded(name, ip);
    const { cookie, session } = await signer.issue(user.name, user.role);
    res.header('Set-Cookie', cookie);
    res.json(200, { name: session.name, role: session.role, displayName: user.displayName });
  });
  // Signing out ends the session on the server (a copy of the cookie is refused afterwards) and clears the cookie.
  server.post('/agent/api/logout', anyConsole, async (req: Request, res: Response) => {
    await signer.end(sessionOf(req));
    res.header('Set-Cookie', signer.cleared());
    res.json(200, { ok: true });
  });
  // A supervisor ends every session of a console user (a lost laptop, someone leaving) on every instance.
  server.post('/agent/api/sessions/revoke', requireRole(signer, 'supervisor'), async (req: Request, res: Response) => {
    const { name } = parseOr400(Revoke, req.body ?? {});
    await signer.revokeUser(name);
    res.json(200, { ok: true, revoked: name });
  });
  server.get('/agent/api/me', anyConsole, async (req: Request, res: Response) => {
    const { name, role } = sessionOf(req);
    res.json(200, { name, role, displayName: users.find((u) => u.name === name)?.displayName ?? name });
  });
}
