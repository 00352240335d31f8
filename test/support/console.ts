import { afterAll, beforeAll, expect } from 'vitest';
import { createForbear } from '../../bot/app.js';
import { loadConfig } from '../../bot/config.js';
import { createLogger } from '../../bot/logger.js';
import { startServer } from '../../bot/server.js';
import { memoryStores } from '../../bot/storage/index.js';
import { TEST_CLOCK, type Instance } from '../support/fleet.js';

export interface ConsoleClient {
  get(path: string): Promise<{ status: number; body: any }>;
  post(path: string, body?: unknown): Promise<{ status: number; body: any }>;
  cookie: string;
}

/** A console user's HTTP session against `base` (cookie + the CSRF header on writes). */
export async function consoleLogin(base: string, name: string, password: string): Promise<ConsoleClient> {
  const res = await fetch(`${base}/agent/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forbear-console': '1' },
    body: JSON.stringify({ name, password }),
  });
  expect(res.status).toBe(200);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  expect(res.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${base}/agent/api/${path}`, {
      method,
      headers: { cookie, 'x-forbear-console': '1', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: r.status, body: (await r.json()) as any };
  };
  return { cookie, get: (path) => call('GET', path), post: (path, body = {}) => call('POST', path, body) };
}

/** One console instance for the tests of a file: started before them, closed after them. */
export function useConsoleInstance(extraEnv: Record<string, string> = {}): { readonly instance: Instance; readonly forbear: Instance['forbear'] } {
  let instance: Instance | undefined;
  beforeAll(async () => {
    instance = await startConsoleInstance(extraEnv);
  });
  afterAll(async () => {
    await instance?.server.close();
  });
  return {
    get instance() {
      return instance!;
    },
    get forbear() {
      return instance!.forbear;
    },
  };
}

/**
 * One bot on memory stores behind the real HTTP server, with rate limits out of the way: the
 * cardholder side over Direct Line (`Cardholder` from test/support/fleet) and the consoles over HTTP.
 */
export async function startConsoleInstance(extraEnv: Record<string, string> = {}): Promise<Instance> {
  const env = {
    PORT: '0',
    LOG_LEVEL: 'silent',
    DIRECTLINE_SECRET: 'console-test-secret-console-test-secret',
    RATE_LIMIT_IP_PER_SEC: '100000',
    RATE_LIMIT_IP_BURST: '1000000',
    RATE_LIMIT_CONVERSATION_PER_MIN: '100000',
    RATE_LIMIT_CONVERSATION_BURST: '100000',
    ...extraEnv,
  };
  const config = loadConfig(env);
  const forbear = await createForbear({ config, stores: memoryStores(), clock: TEST_CLOCK, logger: createLogger('silent') });
  const server = await startServer(forbear, config);
  return { name: 'one', forbear, server, base: server.url.replace(/\/$/, '') };
}
