import { expect } from 'vitest';

export interface ConsoleClient {
  get(path: string): Promise<{ status: number; body: any }>;
  post(path: string, body?: unknown): Promise<{ status: number; body: any }>;
  cookie: string;
}

/** A console user's HTTP session against `base` (cookie + the CSRF header on writes). */
export async function consoleLogin(base: string, name: string, password: string): Promise<ConsoleClient> {
  const res = await fetch(`${base}/agent/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
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
