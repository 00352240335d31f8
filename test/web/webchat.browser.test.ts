/**
 * The real page in headless Chromium: the locally served Web Chat bundle talks to the Direct Line
 * endpoint over its WebSocket stream; the language chooser switches page and bot language.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { registerWebChat } from '../../bot/web/routes.js';
import { start, type Running } from '../channels/directline/harness.js';
import { TEXTS } from '../channels/directline/echoBot.js';

let running: Running;
let browser: Browser;

beforeAll(async () => {
  running = await start({ register: registerWebChat });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await running?.close();
});

describe('Web Chat page in a real browser', () => {
  it('chats in 简体 over Direct Line, renders the offer card and its buttons, with no CSP violation', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 860 }, locale: 'en-US' });
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));

    // Web Chat also repeats text in a screen-reader live region, so count transcript bubbles.
    const bubbles = (text: string) => page.locator('.webchat__bubble__content', { hasText: text }).count();

    const response = await page.goto(`${running.baseUrl}/?lang=en`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await expect.poll(() => bubbles(TEXTS.en.hello)).toBe(1);
    expect(await page.locator('h1').textContent()).toBe('Repayment assistance');

    await page.selectOption('#language', 'zh-CN');
    await expect.poll(() => page.locator('h1').textContent()).toBe('还款协商');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');

    const input = page.locator('[data-id="webchat-sendbox-input"]');
    await expect.poll(() => input.getAttribute('placeholder')).toBe('请输入您的消息');
    await input.fill('你好');
    await input.press('Enter');

    const t = TEXTS['zh-CN'];
    await expect.poll(() => bubbles(`${t.said}你好`)).toBe(1);
    // The hero card (title + its three buttons) and the suggested actions under it.
    await expect.poll(() => page.locator('.ac-adaptiveCard', { hasText: t.title }).count()).toBe(1);
    const suggested = page.locator('.webchat__suggested-actions button');
    await expect.poll(() => suggested.allTextContents()).toEqual([t.accept, t.other, t.human]);
    for (const label of [t.accept, t.other, t.human]) {
      expect(await page.locator('.ac-adaptiveCard button', { hasText: label }).count()).toBe(1);
    }
    await page.screenshot({ path: 'test-output/webchat.png' });

    await suggested.filter({ hasText: t.accept }).click();
    await expect.poll(() => bubbles(t.accepted)).toBe(1);

    expect(sockets.some((u) => u.includes('/v3/directline/conversations/') && u.includes('/stream?t='))).toBe(true);
    expect(consoleErrors.filter((e) => /Content Security Policy|Refused to/i.test(e))).toEqual([]);
    await page.screenshot({ path: 'test-output/webchat-accepted.png' });
    await page.close();
  });
});

