/**
 * The smaller findings of the audit, each as the attack: deeply nested bodies, Direct Line token
 * signatures with appended or re-encoded characters, tokens refreshed forever, and `/metrics` open
 * on the chat port.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { start, type Running } from '../channels/directline/harness.js';
import { FakeWeChatApi, postPlain, startBotServer, TestBot } from '../channels/wechat/helpers.js';
import { startForbear, type RealServer } from '../support/server.js';

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function call(method: string, url: string, token?: string, body?: string) {
  const res = await fetch(url, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  return { status: res.status, text };
}

async function open(base: string) {
  const generated = JSON.parse((await call('POST', `${base}/v3/directline/tokens/generate`)).text) as { token: string };
  const started = JSON.parse((await call('POST', `${base}/v3/directline/conversations`, generated.token, '{}')).text) as { conversationId: string; token: string };
  return started;
}

describe('deeply nested bodies', () => {
  it('answers a 5,000-deep JSON activity with 400, not 500', async () => {
    running = await start();
    const c = await open(running.baseUrl);
    const deep = `{"type":"message","from":{"id":"u"},"text":"x","value":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const res = await call('POST', `${running.baseUrl}/v3/directline/conversations/${c.conversationId}/activities`, c.token, deep);
    expect(res.status).toBe(400);
    expect(res.text).not.toMatch(/at .*\.(ts|js)/);
    const deepObject = `{"type":"message","from":{"id":"u"},"text":"x","channelData":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;
    expect((await call('POST', `${running.baseUrl}/v3/directline/conversations/${c.conversationId}/activities`, c.token, deepObject)).status).toBe(400);
  });

  it('answers 5,000-deep WeChat XML with 400, not 500', async () => {
    const api = new FakeWeChatApi();
    await api.start();
    const app = await startBotServer(new TestBot(), api.url, { mode: 'plain' });
    try {
      const deep = `<xml>${'<a>'.repeat(5000)}x${'</a>'.repeat(5000)}</xml>`;
      const res = await postPlain(app.url, deep);
      expect(res.status).toBe(400);
    } finally {
      await app.close();
      await api.stop();
    }
  });
});

describe('Direct Line token signatures', () => {
  it('refuses a token with characters appended to, or re-encoded in, its signature', async () => {
    running = await start();
    const c = await open(running.baseUrl);
    const url = `${running.baseUrl}/v3/directline/conversations/${c.conversationId}/activities`;
    expect((await call('GET', url, c.token)).status).toBe(200);
    const [payload, signature] = c.token.split('.') as [string, string];
    // The last base64url character carries 2 unused bits: four spellings decode to the same bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(signature.at(-1)!);
    const sibling = alphabet[(last & ~3) | ((last + 1) & 3)]!;
    const variants = [`${c.token}=`, `${c.token}==`, `${c.token}.`, `${payload}.${signature.slice(0, -1)}${sibling}`, `${payload}.${signature.replace(/-/g, '+').replace(/_/g, '/')}`, `${payload}=.${signature}`];
    for (const token of variants) {
      if (token === c.token) continue;
      expect((await call('GET', url, token)).status, token).toBe(403);
    }
  });

  it('stops refreshing a token after its maximum lifetime', async () => {
    const t0 = Date.parse('2030-01-01T00:00:00Z');
    let now = t0;
    running = await start({ now: () => now, env: { DIRECTLINE_TOKEN_TTL_SEC: '600', DIRECTLINE_TOKEN_MAX_LIFETIME_SEC: '3600' } });
    const c = await open(running.baseUrl);
    let token = c.token;
    let refusedAt: number | undefined;
    for (let i = 0; i < 20 && refusedAt === undefined; i++) {
      now += 500_000;
      const refreshed = await call('POST', `${running.baseUrl}/v3/directline/tokens/refresh`, token);
      if (refreshed.status === 200) token = (JSON.parse(refreshed.text) as { token: string }).token;
      else refusedAt = now;
    }
    // Refreshed every 500 s, it is refused once an hour has passed since the first token, not never.
    expect(refusedAt).toBeDefined();
    expect(refusedAt! - t0).toBeLessThanOrEqual(3_600_000 + 500_000);
    // Reconnecting is a refresh too, and reading with the last token ends with the hour as well.
    expect((await call('GET', `${running.baseUrl}/v3/directline/conversations/${c.conversationId}`, token)).status).toBe(403);
    expect((await call('GET', `${running.baseUrl}/v3/directline/conversations/${c.conversationId}/activities`, token)).status).toBe(403);
  });
});

describe('/metrics', () => {
  let server: RealServer;
  beforeAll(async () => {
    server = await startForbear({ METRICS_TOKEN: 'metrics-token-metrics-token-0123' });
  });
  afterAll(async () => {
    await server?.running.close();
  });

  it('is not served to anyone on the chat port: it needs the token', async () => {
    expect((await fetch(`${server.base}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.base}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await fetch(`${server.base}/metrics`, { headers: { authorization: 'Bearer metrics-token-metrics-token-0123' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('forbear_');
  });

  it('is off on the chat port when no token is configured, and served on its own port when one is', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const separate = await startForbear({ METRICS_PORT: String(port) });
    try {
      expect((await fetch(`${separate.base}/metrics`)).status).toBe(404);
      const scraped = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('forbear_');
    } finally {
      await separate.running.close();
    }
  });
});

describe('anonymous conversations', () => {
  it('refuses a new conversation with a clear 503 once the global cap of open conversations is reached', async () => {
    running = await start({ env: { DIRECTLINE_MAX_OPEN_CONVERSATIONS: '3' } });
    const opened = [];
    for (let i = 0; i < 3; i++) opened.push(await open(running.baseUrl));
    const generated = JSON.parse((await call('POST', `${running.baseUrl}/v3/directline/tokens/generate`)).text) as { token: string };
    const refused = await fetch(`${running.baseUrl}/v3/directline/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${generated.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).not.toBeNull();
    expect((await refused.json()) as unknown).toMatchObject({ error: { code: 'TooManyConversations' } });
    // The conversations already open go on.
    const first = opened[0]!;
    const posted = await call('POST', `${running.baseUrl}/v3/directline/conversations/${first.conversationId}/activities`, first.token, '{"type":"message","from":{"id":"u"},"text":"hi"}');
    expect(posted.status).toBe(200);
  });
});
