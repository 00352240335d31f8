/**
 * `npm start` as an operator sees it: health, readiness and metrics over HTTP on the real server,
 * and a start-up that refuses a bad environment with the variable named.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalAdapter } from '../../bot/channels/local.js';
import type { RunningServer } from '../../bot/server.js';
import { startForbear } from '../support/server.js';

let running: RunningServer;
let adapter: LocalAdapter;

beforeAll(async () => {
  let forbear;
  ({ forbear, running } = await startForbear({ METRICS_TOKEN: METRICS_TOKEN }));
  adapter = new LocalAdapter(forbear.bot);
});

afterAll(async () => {
  await running?.close();
});

/** The scraper's token: `/metrics` is not public (test/security/smaller.test.ts). */
const METRICS_TOKEN = 'server-test-metrics-token-0123456789';

describe('operating the server', () => {
  it('is healthy and ready on embedded defaults', async () => {
    expect((await fetch(`${running.url}healthz`)).status).toBe(200);
    const ready = await fetch(`${running.url}readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', store: { backend: 'memory', status: 'up' } });
  });

  it('exposes turns, latency, outcomes and the understanding engine as Prometheus metrics', async () => {
    const id = 'metrics';
    await adapter.join(id, { locale: 'zh-CN' });
    for (const text of ['4821', '1988-03-14', '失业了', '月收入八千', '开支三千', '对', '接受', '同意']) await adapter.send(id, { text, locale: 'zh-CN' });
    await adapter.send('metrics-human', { text: '转人工', locale: 'zh-CN' });
    const metrics = await (await fetch(`${running.url}metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    expect(metrics).toMatch(/forbear_turns_total\{channel="local"\} 9/);
    expect(metrics).toMatch(/forbear_turn_duration_seconds_count 9/);
    expect(metrics).toMatch(/forbear_outcomes_total\{outcome="agreement",reason=""\} 1/);
    expect(metrics).toMatch(/forbear_outcomes_total\{outcome="handoff",reason="request_human"\} 1/);
    // Free text goes to the embedded classifier; verification answers and consent to the rules alone.
    const byEngine = Object.fromEntries([...metrics.matchAll(/forbear_understanding_total\{engine="(\w+)"\} (\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
    expect(Object.values(byEngine).reduce((a, b) => a + b, 0)).toBe(9);
    expect(byEngine['classifier']).toBeGreaterThan(0);
    expect(byEngine['rules']).toBeGreaterThan(0);
  });

  it('refuses to start with a bad variable, naming it (exit 2)', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bot/index.ts'], {
      env: { ...process.env, PORT: 'eighty', REDIS_URL: 'nope' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/PORT/);
    expect(run.stderr).toMatch(/REDIS_URL/);
  });
});
