/** A compliance officer in a real browser: log in, search, open a transcript, see why an offer was made. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { LocalAdapter } from '../../bot/channels/local.js';
import { launchChromium } from '../support/browser.js';
import type { RunningServer } from '../../bot/server.js';
import { startForbear } from '../support/server.js';

let running: RunningServer;
let browser: Browser;

beforeAll(async () => {
  let forbear;
  ({ forbear, running } = await startForbear());
  const adapter = new LocalAdapter(forbear.bot);
  adapter.use(forbear.transcriptMiddleware);
  await adapter.join('reviewed', { locale: 'zh-CN' });
  for (const text of ['4821', '1988-03-14', '失业了', '月收入八千', '开支三千', '接受', '同意']) await adapter.send('reviewed', { text, locale: 'zh-CN' });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await running?.close();
});

describe('compliance console in the browser', () => {
  it('finds yesterday’s conversation, verifies it and shows the rule behind an offer', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${running.url}compliance`);
    await page.fill('input[name="name"]', 'compliance');
    await page.fill('input[name="password"]', 'compliance-demo');
    await page.click('#login button[type="submit"]');
    await page.fill('input[name="accountId"]', 'cn-m1-wang');
    await page.selectOption('select[name="language"]', 'zh-CN');
    await page.fill('input[name="policyVersion"]', 'default-cn@2026.1');
    await page.click('#search button[type="submit"]');
    const result = page.locator('#results li', { hasText: 'cn-m1-wang' });
    await expect.poll(() => result.count(), { timeout: 10_000 }).toBe(1);
    await result.click();
    await expect.poll(() => page.locator('#chain').textContent()).toContain('未被篡改');
    await page.locator('#transcript li.annotated', { hasText: '分 11 期' }).first().click();
    await expect.poll(() => page.locator('#annotation').textContent()).toContain('default-cn@2026.1:buckets.M1.bot.installment');
    await page.screenshot({ path: 'test-output/compliance-console.png' });
    expect(errors.filter((e) => /Content Security Policy|Refused/i.test(e))).toEqual([]);
  });
});
