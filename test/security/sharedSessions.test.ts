/**
 * Console logins and sessions hold across instances behind a load balancer (counted and kept in
 * Redis): wrong passwords spread over two instances lock the name once, and a session logged out or
 * revoked on one instance is refused on the other.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { USER_FAILURES } from '../../bot/auth/loginGuard.js';
import { setUpOnce, startInstance, type Instance } from '../support/fleet.js';
import { consoleLogin } from '../support/console.js';
import { useTestRedis } from '../support/redis.js';

const redis = useTestRedis('shared-sessions');
let a: Instance;
let b: Instance;

setUpOnce(async () => {
  const settings = { url: redis().url, prefix: redis().prefix };
  // One session key for the fleet, as an operator configures it.
  const env = { CONSOLE_SESSION_SECRET: 'shared-session-secret-shared-session-secret' };
  [a, b] = await Promise.all([startInstance('a', settings, { env }), startInstance('b', settings, { env })]);
});
afterAll(async () => {
  await Promise.all([a?.server.close(), b?.server.close()]);
});

const login = (on: Instance, name: string, password: string) =>
  fetch(`${on.base}/agent/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forbear-console': '1' }, body: JSON.stringify({ name, password }) });

describe('console sessions across instances', () => {
  it('wrong passwords spread over two instances lock the name on both', async () => {
    for (let i = 0; i < USER_FAILURES; i++) expect((await login(i % 2 ? b : a, 'compliance', `guess-${i}`)).status).toBe(401);
    expect((await login(a, 'compliance', 'compliance-demo')).status).toBe(429);
    expect((await login(b, 'compliance', 'compliance-demo')).status).toBe(429);
  });

  it('a session logged out on one instance, or revoked there, is refused on the other', async () => {
    const onA = await consoleLogin(a.base, 'agent', 'agent-demo');
    const sameOnB = (path: string) => fetch(`${b.base}/agent/api/${path}`, { headers: { cookie: onA.cookie } });
    expect((await sameOnB('me')).status).toBe(200);
    expect((await onA.post('logout')).status).toBe(200);
    expect((await sameOnB('me')).status).toBe(401);

    const agent = await consoleLogin(b.base, 'agent', 'agent-demo');
    const supervisor = await consoleLogin(a.base, 'supervisor', 'supervisor-demo');
    expect((await supervisor.post('sessions/revoke', { name: 'agent' })).status).toBe(200);
    expect((await agent.get('me')).status).toBe(401);
  });
});
