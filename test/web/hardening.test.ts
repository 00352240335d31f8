import { afterEach, describe, expect, it } from 'vitest';
import { registerWebChat } from '../../bot/web/routes.js';
import { serviceUrlAllowed } from '../../bot/http/serviceUrl.js';
import { createRateLimiter } from '../../bot/http/rateLimit.js';
import type { AddressInfo } from 'node:net';
import restify from 'restify';
import { hardenServer, listenHost } from '../../bot/http/harden.js';
import { HttpConfig } from '../../bot/http/config.js';
import { start, type Running } from '../channels/directline/harness.js';
import { until } from '../support/until.js';

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

const json = async (res: Response) => JSON.parse(await res.text());

describe('security headers and CSP', () => {
  it('puts security headers on every response and a page CSP on /', async () => {
    running = await start({ register: registerWebChat });
    const page = await fetch(`${running.baseUrl}/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-(inline|eval)/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('strict-transport-security')).toBeNull();
    // No inline script on the page, so the CSP can forbid it.
    expect(await page.text()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);

    const api = await fetch(`${running.baseUrl}/v3/directline/tokens/generate`, { method: 'POST' });
    expect(api.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('sends HSTS only when configured', async () => {
    running = await start({ env: { HTTP_HSTS: 'true' } });
    const res = await fetch(`${running.baseUrl}/v3/directline/tokens/generate`, { method: 'POST' });
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
  });

  it('serves the Web Chat bundle from the npm package, gzipped and cacheable', async () => {
    running = await start({ register: registerWebChat });
    const res = await fetch(`${running.baseUrl}/assets/webchat.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('javascript');
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(await res.text()).toContain('renderWebChat');
    const again = await fetch(`${running.baseUrl}/assets/webchat.js`, { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('gives the page only the web.* texts, in all three languages', async () => {
    running = await start({ register: registerWebChat });
    const texts = await json(await fetch(`${running.baseUrl}/assets/texts.json`));
    expect(Object.keys(texts).sort()).toEqual(['en', 'zh-CN', 'zh-TW']);
    expect(texts['zh-CN']['web.heading']).toBe('还款协商');
    for (const lang of ['en', 'zh-CN', 'zh-TW']) {
      expect(Object.keys(texts[lang]).every((k) => k.startsWith('web.'))).toBe(true);
    }
  });
});

describe('limits', () => {
  it('answers 413 with a JSON error for a body over the limit', async () => {
    running = await start({ env: { HTTP_MAX_BODY_BYTES: '2048' } });
    const { conversationId, token } = await json(await fetch(`${running.baseUrl}/v3/directline/tokens/generate`, { method: 'POST' }));
    const res = await fetch(`${running.baseUrl}/v3/directline/conversations/${conversationId}/activities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'message', from: { id: 'u' }, text: 'x'.repeat(5000) }),
    });
    expect(res.status).toBe(413);
    const body = await json(res);
    expect(body.error.code).toBe('PayloadTooLarge');
    expect(body.error.message).toContain('2048');
  });

  it('answers 429 with Retry-After per client address', async () => {
    running = await start({ env: { RATE_LIMIT_IP_PER_SEC: '1', RATE_LIMIT_IP_BURST: '3' } });
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await fetch(`${running.baseUrl}/v3/directline/tokens/generate`, { method: 'POST' });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses.at(-1)).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await json(last!)).error.code).toBe('TooManyRequests');
  });

  it('answers 429 per conversation while other conversations go on', async () => {
    running = await start({ env: { RATE_LIMIT_CONVERSATION_PER_MIN: '1', RATE_LIMIT_CONVERSATION_BURST: '2' } });
    const open = async () => {
      const { token } = await json(await fetch(`${running!.baseUrl}/v3/directline/tokens/generate`, { method: 'POST' }));
      return json(await fetch(`${running!.baseUrl}/v3/directline/conversations`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }));
    };
    const post = (c: { conversationId: string; token: string }) =>
      fetch(`${running!.baseUrl}/v3/directline/conversations/${c.conversationId}/activities`, {
        method: 'POST',
        headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'message', from: { id: 'u' }, text: 'hi' }),
      });
    const a = await open();
    const b = await open();
    expect((await post(a)).status).toBe(200);
    expect((await post(a)).status).toBe(200);
    const limited = await post(a);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(30);
    expect((await post(b)).status).toBe(200);
  });

  it('refills a budget over time (rate-limiter-flexible, fixed windows of burst / rate seconds)', async () => {
    const limiter = createRateLimiter({ ratePerSec: 1, burst: 1 }, 'refill-test');
    expect(await limiter.take('k')).toEqual({ allowed: true });
    const refused = await limiter.take('k');
    expect(refused).toEqual({ allowed: false, retryAfterSec: 1 });
    // Allowed again once the window has passed: waits for that, not for a guessed time.
    await until(async () => (await limiter.take('k')).allowed);
  });
});

describe('errors never leak internals', () => {
  it('formats a failing handler as a fixed 500 JSON body without stack or message', async () => {
    running = await start({
      register: (server) =>
        server.get('/boom', async () => {
          throw new Error('secret detail at /srv/app/db.ts:42');
        }),
    });
    const res = await fetch(`${running.baseUrl}/boom`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { code: 'InternalError', message: 'Internal server error.' } });
    expect(text).not.toMatch(/secret|stack|\.ts/);
  });

  it('formats unknown routes and bad JSON the same way', async () => {
    running = await start();
    const missing = await fetch(`${running.baseUrl}/nope`);
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.code).toBe('ResourceNotFound');
    const { conversationId, token } = await json(await fetch(`${running.baseUrl}/v3/directline/tokens/generate`, { method: 'POST' }));
    const bad = await fetch(`${running.baseUrl}/v3/directline/conversations/${conversationId}/activities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"type":',
    });
    expect(bad.status).toBe(400);
    const body = await json(bad);
    expect(Object.keys(body)).toEqual(['error']);
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message']);
  });
});

describe('/api/messages without Bot Framework authentication', () => {
  it('accepts only allow-listed serviceUrls', async () => {
    running = await start({
      register: (server) =>
        server.post('/api/messages', async (_req, res) => {
          res.send(200, { ok: true });
        }),
    });
    const post = (serviceUrl: string) =>
      fetch(`${running!.baseUrl}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'message', serviceUrl }),
      });
    expect((await post('http://localhost:3979')).status).toBe(200);
    expect((await post('http://127.0.0.1:56001/')).status).toBe(200);
    const refused = await post('https://attacker.example/');
    expect(refused.status).toBe(403);
    expect((await json(refused)).error.code).toBe('ServiceUrlNotAllowed');
  });

  it('matches patterns per URL segment and refuses userinfo tricks', () => {
    const allow = ['http://localhost:*', 'https://smba.trafficmanager.net/*'];
    expect(serviceUrlAllowed('http://localhost:3978/', allow)).toBe(true);
    expect(serviceUrlAllowed('http://localhost.attacker.example:80/', allow)).toBe(false);
    expect(serviceUrlAllowed('http://localhost:1@attacker.example/', allow)).toBe(false);
    expect(serviceUrlAllowed('https://smba.trafficmanager.net/apac/', allow)).toBe(true);
    expect(serviceUrlAllowed('not a url', allow)).toBe(false);
    expect(serviceUrlAllowed(undefined, allow)).toBe(false);
  });

  it('binds to loopback unless HOST is set or authentication is on', () => {
    expect(listenHost({})).toBe('127.0.0.1');
    expect(listenHost({ MicrosoftAppId: 'app' })).toBe('0.0.0.0');
    expect(listenHost({ HOST: '::' })).toBe('::');
  });
});

describe('request bodies and exempt paths', () => {
  it('refuses compressed request bodies with 415 before any route reads them', async () => {
    running = await start();
    const res = await fetch(`${running.baseUrl}/v3/directline/tokens/generate`, {
      method: 'POST',
      headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' },
      body: new Uint8Array([0x1f, 0x8b, 0x08, 0x00]),
    });
    expect(res.status).toBe(415);
    expect((await json(res)).error.code).toBe('UnsupportedMediaType');
  });

  it('does not count exempt paths (signed, limited per sender) against the per-address limit', async () => {
    const server = restify.createServer({ name: 'exempt-test' });
    hardenServer(server, { ...HttpConfig.parse({ RATE_LIMIT_IP_PER_SEC: '1', RATE_LIMIT_IP_BURST: '2' }) }, undefined, {
      ipLimitExemptPaths: ['/signed'],
    });
    for (const path of ['/signed', '/open']) server.get(path, async (_req: restify.Request, res: restify.Response) => {
      res.send(200, 'ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const signed = await Promise.all(Array.from({ length: 6 }, () => fetch(`${base}/signed`).then((r) => r.status)));
      expect(signed).toEqual([200, 200, 200, 200, 200, 200]);
      const open = [];
      for (let i = 0; i < 4; i++) open.push((await fetch(`${base}/open`)).status);
      expect(open.at(-1)).toBe(429);
    } finally {
      server.close();
    }
  });
});
