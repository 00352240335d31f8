import { expect } from 'vitest';
import type { Browser, Page } from 'playwright-core';

/** Transcript bubbles containing `text` (Web Chat repeats text in a live region, so bubbles are counted). */
export const bubbles = (page: Page, text: string) => page.locator('.webchat__bubble__content', { hasText: text }).count();

/** Types a message and waits until a bubble with `waitFor` appears once more than before. */
export async function send(page: Page, text: string, waitFor: string): Promise<void> {
  const before = await bubbles(page, waitFor);
  const input = page.locator('[data-id="webchat-sendbox-input"]');
  await input.fill(text);
  await input.press('Enter');
  await expect.poll(() => bubbles(page, waitFor)).toBeGreaterThan(before);
}

/** The cardholder page in 简体中文, verified as the demo M2 cardholder (cn-m2-li), asked for the hardship reason. */
export async function verifiedM2(browser: Browser, url: string): Promise<Page> {
  const chat = await browser.newPage({ viewport: { width: 1000, height: 900 }, locale: 'zh-CN' });
  await chat.goto(`${url}?lang=zh-CN`);
  await expect.poll(() => bubbles(chat, '后4位')).toBe(1);
  await send(chat, '7305', '出生日期');
  await send(chat, '1979-11-02', '什么情况');
  return chat;
}

/** `verifiedM2`, an affordable offer on the table, then a request for a person: the case waits in the agents' queue. */
export async function m2AsksForAPerson(browser: Browser, url: string): Promise<Page> {
  const chat = await verifiedM2(browser, url);
  await send(chat, '生意失败了', '总收入');
  await send(chat, '月收入一万五', '生活开支');
  await send(chat, '开支六千', '对吗');
  await send(chat, '对', '能负担的还款方案');
  await send(chat, '我要转人工', '我为您转接人工客服');
  return chat;
}
