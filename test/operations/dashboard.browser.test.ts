/**
 * The outcome dashboard over HTTP (roles, validation, the same figures as the report) and in a
 * real browser (log in, table, charts drawn by the locally served Chart.js, the significance readout).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { DemoAccountService } from '../../bot/accounts/demoAccountService.js';
import { LocalAdapter } from '../../bot/channels/local.js';
import { fixedClock } from '../../conversation/clock.js';
import type { Experiment } from '../../bot/experiments/variant.js';
import { reportOutput } from '../../bot/operations/cli.js';
import type { Forbear } from '../../bot/app.js';
import type { RunningServer } from '../../bot/server.js';
import { DEMO_ACCOUNTS } from '../../policy/demo-accounts.js';
import { loadPolicy } from '../../policy/load.js';
import { launchChromium } from '../support/browser.js';
import { consoleLogin } from '../support/console.js';
import { USER_FAILURES } from '../../bot/auth/loginGuard.js';
import { startForbear } from '../support/server.js';

let running: RunningServer;
let forbear: Forbear;
let browser: Browser;
let base: string;

beforeAll(async () => {
  const m2 = DEMO_ACCOUNTS.find((a) => a.accountId === 'cn-m2-li')!;
  const accounts = Array.from({ length: 16 }, (_, i) => ({ ...m2, accountId: `ops-m2-${i}`, last4: String(6000 + i) }));
  const experiment: Experiment = { seed: 'ops-dashboard', challengers: [{ policy: loadPolicy('policy/challengers/default-cn-2026.3.yaml'), champion: 'default-cn', sharesBps: { M2: 5000 } }] };
  const clock = fixedClock('2026-11-22T02:00:00Z');
  ({ forbear, running, base } = await startForbear({}, { experiment, accounts: new DemoAccountService(clock, () => 'Asia/Shanghai', [...accounts, ...DEMO_ACCOUNTS]) }));
  const adapter = new LocalAdapter(forbear.bot, 'directline');
  adapter.use(forbear.transcriptMiddleware);
  const talk = async (id: string, locale: string, lines: string[]) => {
    await adapter.join(id, { locale });
    for (const text of lines) await adapter.send(id, { text, locale });
  };
  for (let i = 0; i < 16; i += 1) {
    const verify = [String(6000 + i), m2.dateOfBirth];
    if (i % 4 === 3) await talk(`ops-h-${i}`, 'zh-CN', [...verify, '转人工']);
    else await talk(`ops-a-${i}`, 'zh-CN', ['我失业了', ...verify, '每月收入一万二', '开支四千', i % 2 ? '我想分36期' : '接受', '同意', i % 3 ? '4 满意' : '2 不满意', '是，公平']);
  }
  await talk('ops-en', 'en', ['hello', '9012', '1990-04-18', 'I lost my job', '4000 a month', '1500', 'yes', 'accept', 'I agree', '5 Very good', 'Yes, fairly']);
  await talk('ops-crisis', 'zh-CN', ['我不想活了']);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await running?.close();
});

const login = async (name: string, password: string): Promise<string> => (await consoleLogin(base, name, password)).cookie;

describe('the /ops API', () => {
  it('is for operations and supervisors only, validates its query, and gives the report’s figures', async () => {
    expect((await fetch(`${base}/ops/api/report`)).status).toBe(401);
    const agent = await login('agent', 'agent-demo');
    expect((await fetch(`${base}/ops/api/report`, { headers: { cookie: agent } })).status).toBe(403);
    const ops = await login('operations', 'operations-demo');
    const bad = await fetch(`${base}/ops/api/report?from=2026-13-01`, { headers: { cookie: ops } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/^from:/);
    expect((await fetch(`${base}/ops/api/report?from=2026-11-30&to=2026-11-01`, { headers: { cookie: ops } })).status).toBe(400);
    expect((await fetch(`${base}/ops/api/report?limit=3`, { headers: { cookie: ops } })).status).toBe(400);
    // Operations users cannot act on cases.
    expect((await fetch(`${base}/agent/api/queue`, { headers: { cookie: ops } })).status).toBe(403);

    const supervisor = await login('supervisor', 'supervisor-demo');
    const res = await fetch(`${base}/ops/api/report?from=2026-11-22&to=2026-11-22&lang=en`, { headers: { cookie: supervisor } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { report: { overall: unknown; by: Record<string, unknown> }; tables: Record<string, { rows: string[][] }>; comparisons: string[] };
    const cli = JSON.parse(await reportOutput(forbear.transcripts, { from: '2026-11-22', to: '2026-11-22', by: 'variant', lang: 'en', json: true }));
    expect(body.report.overall).toEqual(cli.overall);
    expect(body.report.by).toEqual(cli.by);
    expect(body.tables['variant']!.rows.map((r) => r[0])).toEqual(['challenger default-cn@2026.3', 'champion default-cn@2026.2', 'champion default-us@2026.2', 'none', 'All conversations']);
    expect(body.comparisons[0]).toMatch(/^M2: challenger default-cn@2026\.3 against champion default-cn@2026\.2/);
  });
});

describe('the dashboard in the browser', () => {
  it('logs in, shows the table, the charts and the champion/challenger readout', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1300 }, locale: 'zh-CN' });
    const errors: string[] = [];
    // A 401 from /agent/api/me before logging in is expected; script errors and CSP refusals are not.
    page.on('console', (m) => m.type() === 'error' && /Content Security Policy|Refused/i.test(m.text()) && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/ops`);
    // A name locked out after wrong passwords is told so (not "wrong password" again).
    for (let i = 0; i < USER_FAILURES; i++) {
      const wrong = await fetch(`${base}/agent/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forbear-console': '1' }, body: JSON.stringify({ name: 'operations', password: `guess-${i}` }) });
      expect(wrong.status).toBe(401);
    }
    await page.fill('input[name="name"]', 'operations');
    await page.fill('input[name="password"]', 'operations-demo');
    await page.click('#login button[type="submit"]');
    await expect.poll(() => page.locator('#login-error').textContent()).toContain('登录失败次数过多');
    await page.fill('input[name="name"]', 'agent');
    await page.fill('input[name="password"]', 'agent-demo');
    await page.click('#login button[type="submit"]');
    await expect.poll(() => page.locator('#login-error').textContent()).toContain('不是运营或主管账号');
    await page.fill('input[name="name"]', 'supervisor');
    await page.fill('input[name="password"]', 'supervisor-demo');
    await page.click('#login button[type="submit"]');
    await expect.poll(() => page.locator('#table tbody tr').count()).toBe(5);
    expect(await page.locator('#table thead').textContent()).toContain('达成协议率');
    expect(await page.locator('#table tbody').textContent()).toContain('challenger default-cn@2026.3');
    await expect.poll(() => page.locator('#comparisons li').first().textContent()).toMatch(/^M2：challenger default-cn@2026\.3 对比 champion default-cn@2026\.2 —— 达成协议率/);
    // Every chart was drawn by Chart.js, served from this server.
    for (const id of ['chart-rates', 'chart-concessions', 'chart-reasons', 'chart-weekly']) {
      expect(await page.evaluate((c) => (window as unknown as { Chart: { getChart(id: string): unknown } }).Chart.getChart(c) !== undefined, id), id).toBe(true);
    }
    const labels = await page.evaluate(() => (window as unknown as { Chart: { getChart(id: string): { data: { labels: string[] } } } }).Chart.getChart('chart-rates').data.labels);
    expect(labels).toEqual(['challenger default-cn@2026.3', 'champion default-cn@2026.2', 'champion default-us@2026.2', 'none']);
    // Handoff reasons in the reader's words, not codes.
    const reasons = await page.evaluate(() => (window as unknown as { Chart: { getChart(id: string): { data: { labels: string[] } } } }).Chart.getChart('chart-reasons').data.labels);
    expect(reasons).toContain('要求人工');
    expect(reasons.filter((r) => /^[a-z_]+$/.test(r))).toEqual([]);
    await page.screenshot({ path: 'test-output/ops-dashboard.png', fullPage: true });

    // Another grouping and language, without another login.
    await page.selectOption('#language', 'en');
    await expect.poll(() => page.locator('#table thead').textContent()).toContain('Agreement rate');
    await page.selectOption('select[name="by"]', 'bucket');
    await expect.poll(() => page.locator('#table tbody tr').first().textContent()).toContain('M1');
    expect(await page.locator('#table tbody').textContent()).toContain('unverified');
    await page.screenshot({ path: 'test-output/ops-dashboard-en-bucket.png', fullPage: true });
    expect(await page.locator('#language').getAttribute('aria-label')).toBe('Language');

    // Signing out ends the session: the page is back at the sign-in and the report is refused.
    await page.click('#logout');
    await expect.poll(() => page.locator('#login').isVisible()).toBe(true);
    expect(await page.locator('#dashboard').isVisible()).toBe(false);
    expect((await page.request.get(`${base}/ops/api/report`)).status()).toBe(401);
    expect(errors).toEqual([]);
    await page.close();
  });
});
