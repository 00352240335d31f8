/**
 * Attacks on the console login and sessions, each against the real HTTP server: password guessing
 * (per name and per address), a cross-site form posting the login, a cookie kept after logout or
 * after a supervisor's revoke, and a session cookie sent over plain HTTP behind TLS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IP_BACKOFF, IP_FAILURES, USER_BACKOFF, USER_FAILURES } from '../../bot/auth/loginGuard.js';
import { ConfigError, loadConfig } from '../../bot/config.js';
import type { Instance } from '../support/fleet.js';
import { consoleLogin, startConsoleInstance } from '../support/console.js';

let instance: Instance;
beforeAll(async () => {
  instance = await startConsoleInstance();
});
afterAll(async () => {
  await instance?.server.close();
});

const JSON_CSRF = { 'content-type': 'application/json', 'x-forbear-console': '1' };
const login = (name: string, password: string, headers: Record<string, string> = JSON_CSRF, body = JSON.stringify({ name, password })) =>
  fetch(`${instance.base}/agent/api/login`, { method: 'POST', headers, body });

describe('console login against password guessing', () => {
  it('a successful login resets the name’s count: failures spread between correct logins never lock', async () => {
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < USER_FAILURES - 1; i++) expect((await login('operations', 'guess')).status).toBe(401);
      const ok = await login('operations', 'operations-demo');
      expect(ok.status).toBe(200);
      // Plain HTTP on one machine (COOKIE_SECURE unset): no Secure flag, or the browser would drop the cookie.
      expect(ok.headers.get('set-cookie')).not.toMatch(/Secure/);
    }
  });

  it('locks a name after repeated wrong passwords: then even the right one gets 429 with Retry-After and a message', async () => {
    for (let i = 0; i < USER_FAILURES; i++) expect((await login('agent', `guess-${i}`)).status).toBe(401);
    const locked = await login('agent', 'agent-demo');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBe(USER_BACKOFF.firstLockSec);
    expect(locked.headers.get('set-cookie')).toBeNull();
    expect(((await locked.json()) as { error: { message: string } }).error.message).toMatch(/too many failed logins for this name.*try again in \d+ min/i);
    // Other names are not affected by one name's lockout.
    expect((await login('supervisor', 'supervisor-demo')).status).toBe(200);
  });

  it('locks an address that tries many names (one guess each): then a real user’s right password from it gets 429', async () => {
    // Its own server, so the failures above do not count towards this address's allowance.
    const own = await startConsoleInstance();
    try {
      const guess = (name: string, password: string) =>
        fetch(`${own.base}/agent/api/login`, { method: 'POST', headers: JSON_CSRF, body: JSON.stringify({ name, password }) });
      for (let i = 0; i < IP_FAILURES; i++) expect((await guess(`guess${i}`, 'password')).status).toBe(401);
      const locked = await guess('compliance', 'compliance-demo');
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get('retry-after'))).toBe(IP_BACKOFF.firstLockSec);
      expect(((await locked.json()) as { error: { message: string } }).error.message).toMatch(/this address/);
    } finally {
      await own.server.close();
    }
  });
});

describe('console sessions', () => {
  let fresh: Instance;
  beforeAll(async () => {
    fresh = await startConsoleInstance();
  });
  afterAll(async () => {
    await fresh?.server.close();
  });

  it('refuses a cross-site form posting the login (no CSRF header), whatever its encoding', async () => {
    const url = `${fresh.base}/agent/api/login`;
    for (const [type, body] of [
      ['application/x-www-form-urlencoded', 'name=agent&password=agent-demo'],
      ['text/plain', '{"name":"agent","password":"agent-demo"}'],
      ['application/json', '{"name":"agent","password":"agent-demo"}'],
    ] as const) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
      expect(res.status, type).toBe(403);
      expect(res.headers.get('set-cookie'), type).toBeNull();
    }
  });

  it('logout ends the session on the server: a copy of the cookie is refused afterwards', async () => {
    const agent = await consoleLogin(fresh.base, 'agent', 'agent-demo');
    const other = await consoleLogin(fresh.base, 'agent', 'agent-demo');
    expect((await agent.get('me')).status).toBe(200);
    expect((await agent.post('logout')).status).toBe(200);
    expect((await agent.get('me')).status).toBe(401);
    expect((await agent.get('queue')).status).toBe(401);
    // Only that session: the same user's other session goes on.
    expect((await other.get('me')).status).toBe(200);
  });

  it('a supervisor revokes every session of a user; the user can log in again afterwards; an agent cannot revoke', async () => {
    const agent = await consoleLogin(fresh.base, 'agent', 'agent-demo');
    const supervisor = await consoleLogin(fresh.base, 'supervisor', 'supervisor-demo');
    expect((await agent.post('sessions/revoke', { name: 'supervisor' })).status).toBe(403);
    expect((await supervisor.get('me')).status).toBe(200);
    const revoked = await supervisor.post('sessions/revoke', { name: 'agent' });
    expect(revoked.status).toBe(200);
    expect((await agent.get('me')).status).toBe(401);
    expect((await agent.get('queue')).status).toBe(401);
    const again = await consoleLogin(fresh.base, 'agent', 'agent-demo');
    expect((await again.get('queue')).status).toBe(200);
  });
});

describe('the Secure cookie flag behind TLS', () => {
  it('COOKIE_SECURE=true puts Secure on the session cookie (and on the one that clears it)', async () => {
    const tls = await startConsoleInstance({ COOKIE_SECURE: 'true' });
    try {
      const res = await fetch(`${tls.base}/agent/api/login`, { method: 'POST', headers: JSON_CSRF, body: JSON.stringify({ name: 'agent', password: 'agent-demo' }) });
      expect(res.headers.get('set-cookie')).toMatch(/; Secure;/);
      const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
      const out = await fetch(`${tls.base}/agent/api/logout`, { method: 'POST', headers: { cookie, 'x-forbear-console': '1' } });
      expect(out.headers.get('set-cookie')).toMatch(/; Secure;.*Max-Age=0/);
    } finally {
      await tls.server.close();
    }
  });

  it('a COOKIE_SECURE that is not a flag is a ConfigError naming it', () => {
    expect(() => loadConfig({ COOKIE_SECURE: 'yes' })).toThrow(ConfigError);
    expect(() => loadConfig({ COOKIE_SECURE: 'yes' })).toThrow(/\bCOOKIE_SECURE:/);
  });
});
