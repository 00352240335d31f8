/**
 * The client address behind a proxy: `X-Forwarded-For` names the client only when the socket is a
 * proxy the operator listed in `TRUST_PROXY`; from anyone else it is ignored, and the entries a
 * client writes in front of its proxy's are never believed. Checked on the per-address login
 * backoff, over the real HTTP server (the test's own connection plays the proxy on 127.0.0.1).
 */
import { describe, expect, it } from 'vitest';
import { IP_FAILURES } from '../../bot/auth/loginGuard.js';
import { ConfigError, loadConfig } from '../../bot/config.js';
import { startConsoleInstance } from '../support/console.js';

const loginFrom = (base: string, forwardedFor: string | undefined, name: string, password: string) =>
  fetch(`${base}/agent/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forbear-console': '1', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
    body: JSON.stringify({ name, password }),
  });

/** One guess each at many names from `forwardedFor(i)`, until the address backoff would lock. */
async function guessManyNames(base: string, forwardedFor: (i: number) => string): Promise<void> {
  for (let i = 0; i < IP_FAILURES; i++) expect((await loginFrom(base, forwardedFor(i), `guess${i}`, 'password')).status).toBe(401);
}

describe('X-Forwarded-For and the per-address limits', () => {
  it('without TRUST_PROXY a forged header changes nothing: a guesser who invents a new address per request is still locked', async () => {
    const own = await startConsoleInstance();
    try {
      await guessManyNames(own.base, (i) => `203.0.113.${i}`);
      expect((await loginFrom(own.base, '198.51.100.1', 'compliance', 'compliance-demo')).status).toBe(429);
    } finally {
      await own.server.close();
    }
  });

  it('behind a trusted proxy each client has its own allowance: one guesser locked does not lock the colleagues behind the same proxy', async () => {
    const own = await startConsoleInstance({ TRUST_PROXY: 'loopback' });
    try {
      await guessManyNames(own.base, () => '203.0.113.7');
      const locked = await loginFrom(own.base, '203.0.113.7', 'compliance', 'compliance-demo');
      expect(locked.status).toBe(429);
      expect(((await locked.json()) as { error: { message: string } }).error.message).toMatch(/this address/);
      // The socket address (the proxy) is shared by everyone: counted by it, this would be 429 too.
      expect((await loginFrom(own.base, '198.51.100.9', 'compliance', 'compliance-demo')).status).toBe(200);
    } finally {
      await own.server.close();
    }
  });

  it('behind a trusted proxy, addresses a client writes in front of its proxy’s entry are ignored', async () => {
    const own = await startConsoleInstance({ TRUST_PROXY: '127.0.0.1/8, ::1' });
    try {
      // The client sends "X-Forwarded-For: <forged>"; its proxy appends the address it saw.
      await guessManyNames(own.base, (i) => `10.1.2.${i}, 203.0.113.8`);
      expect((await loginFrom(own.base, '10.9.9.9, 203.0.113.8', 'compliance', 'compliance-demo')).status).toBe(429);
    } finally {
      await own.server.close();
    }
  });

  it('a TRUST_PROXY that is not addresses or CIDRs is a ConfigError naming it (the server exits 2)', () => {
    for (const bad of ['proxy.example.com', '10.0.0.0/33', '10.0.0.1,nonsense']) {
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(/\bTRUST_PROXY: comma-separated IP addresses or CIDRs/);
    }
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.4' }).TRUST_PROXY.entries).toEqual(['10.0.0.0/8', '192.168.1.4']);
  });
});
