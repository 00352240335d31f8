/**
 * A compliance officer in a real browser: log in, filter and page through conversations, open one,
 * read the decision behind an offer in words, draw a QA sample and record a verdict in the page,
 * read it all in English, print the record in the conversation's language and local time. A chat
 * page opened and left does not show up as an "abandoned" conversation.
 */
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
  for (const text of ['4821', '1988-03-14', '失业了', '月收入八千', '开支三千', '对', '接受', '同意']) await adapter.send('reviewed', { text, locale: 'zh-CN' });
  await adapter.join('asked-for-person', { locale: 'en' });
  for (const text of ['9012', '1990-04-18', 'I want to talk to a person']) await adapter.send('asked-for-person', { text, locale: 'en' });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await running?.close();
});

describe('compliance console in the browser', () => {
  it('filters, reads the rule behind an offer in words, samples and reviews in the page, in either language', { timeout: 180_000 }, async () => {
    // Someone opens the chat page and leaves without writing: not a conversation to review.
    const visitor = await browser.newPage({ locale: 'zh-CN' });
    await visitor.goto(`${running.url}?lang=zh-CN`);
    await expect.poll(() => visitor.locator('.webchat__bubble__content').count()).toBeGreaterThan(0);
    await visitor.close();

    // A reviewer in New York: times must still be the conversation's own (Asia/Shanghai), as in the printable record.
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, locale: 'zh-CN', timezoneId: 'America/New_York' });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${running.url}compliance`);
    await page.fill('input[name="name"]', 'compliance');
    await page.fill('input[name="password"]', 'compliance-demo');
    await page.click('#login button[type="submit"]');
    await expect.poll(() => page.locator('#result-count').textContent()).toBe('共 2 个会话 · 第 1/1 页');

    // Options are words in the page's language, not codes.
    expect(await page.locator('select[name="outcome"] option').allTextContents()).toEqual(['全部', '达成还款安排', '转人工', '中途放弃']);
    expect(await page.locator('select[name="handoffReason"] option').allTextContents()).toContain('要求人工');
    await page.selectOption('select[name="handoffReason"]', 'request_human');
    await page.click('#search button[type="submit"]');
    await expect.poll(() => page.locator('#results li').allTextContents()).toEqual([expect.stringContaining('us-m1-johnson · 转人工 (要求人工)')]);
    await page.selectOption('select[name="handoffReason"]', '');
    await page.fill('input[name="accountId"]', 'cn-m1-wang');
    await page.selectOption('select[name="outcome"]', 'arrangement');
    await page.fill('input[name="policyVersion"]', 'default-cn@2026.2');
    await page.click('#search button[type="submit"]');
    const result = page.locator('#results li', { hasText: 'cn-m1-wang' });
    await expect.poll(() => result.count()).toBe(1);
    // The list row: the conversation's zone, named (was the browser's own zone, 21:00 the day before in New York).
    expect(await result.textContent()).toMatch(/2026年11月22日 GMT\+8 10:00:\d\d/);
    await result.locator('button').click();
    await expect.poll(() => page.locator('#chain').textContent()).toContain('未被篡改');
    expect(await page.locator('#zone').textContent()).toBe('时间为 Asia/Shanghai 当地时间');
    expect(await page.locator('#transcript').innerText()).toMatch(/持卡人 · 2026年11月22日 10:00:00/);

    await page.locator('#transcript li.annotated', { hasText: '分 11 期' }).first().locator('button').click();
    const annotation = page.locator('#annotation');
    await expect.poll(() => annotation.innerText()).toContain('展示方案');
    const words = await annotation.innerText();
    expect(words).toMatch(/政策\s+default-cn@2026\.2/);
    expect(words).toMatch(/权限\s+机器人/);
    expect(words).toMatch(/条款\s+分 11 期，每月还款 ¥2,291\.66/);
    expect(words).toContain('default-cn@2026.2:buckets.M1.bot.installment.maxMonths');
    expect(words).not.toContain('{"');

    await page.selectOption('select[name="verdict"]', 'needs_followup');
    await page.fill('#review input[name="comment"]', '条款复述清楚');
    await page.click('#review button[type="submit"]');
    await expect.poll(() => page.locator('#reviews').innerText()).toContain('compliance · 需跟进 — 条款复述清楚');
    expect(await page.locator('#reviews-chain').textContent()).toBe('审查日志校验通过（1 条）。');
    await page.fill('input[name="accountId"]', '');
    await page.selectOption('select[name="outcome"]', '');
    await page.fill('input[name="policyVersion"]', '');
    await page.fill('#sample input[name="n"]', '1');
    await page.click('#sample button[type="submit"]');
    await expect.poll(() => page.locator('#sampled li').count()).toBe(1);
    await page.screenshot({ path: 'test-output/compliance-console.png', fullPage: true });

    await page.selectOption('#language', 'en');
    await expect.poll(() => annotation.isHidden()).toBe(true);
    const english = await page.locator('body').innerText();
    expect(english).not.toMatch(/\b(compliance|agent|review|transcript)\.[a-z_.]+/);
    expect(await page.locator('select[name="verdict"] option').allTextContents()).toEqual(['pass', 'fail', 'needs follow-up']);
    expect(english).toContain('Cardholder ·');

    // The printable record: the conversation's language and local time, decisions in words.
    const html = await page.evaluate(async () => (await fetch('/compliance/api/conversations/reviewed/export?format=html')).text());
    const printable = await browser.newPage({ locale: 'zh-CN' });
    expect(html).toContain('<html lang="zh-CN"');
    expect(html).toContain('时间（Asia/Shanghai）');
    await printable.setContent(html);
    // Readable layout: the time and the speaker each on one line (the speaker column wrapped to one character a line).
    const linesOf = (column: number) =>
      printable.locator(`tbody td:nth-child(${column})`).evaluateAll((cells) =>
        cells.map((cell) => {
          const range = document.createRange();
          range.selectNodeContents(cell);
          return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
        }),
      );
    expect(new Set([...(await linesOf(2)), ...(await linesOf(3))])).toEqual(new Set([1]));
    await printable.screenshot({ path: 'test-output/compliance-printable.png', fullPage: true });
    expect(errors.filter((e) => /Content Security Policy|Refused/i.test(e))).toEqual([]);
  });
});
