/**
 * The whole product as a cardholder meets it: `startServer` with the real bot, the page in headless
 * Chromium, a conversation in Chinese from greeting to a confirmed arrangement. The offer must
 * arrive as a schedule card with its buttons, and the reference number must be shown.
 */
import { describe, expect, it } from 'vitest';
import { useServerAndBrowser } from '../support/browser.js';
import { bubbles, send } from '../support/webchat.js';

const shared = useServerAndBrowser();

describe('a cardholder negotiates in the browser', () => {
  it('reaches a confirmed arrangement in 简体中文 and sees the schedule card and reference', async () => {
    const page = await shared.browser.newPage({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
    await page.goto(`${shared.running.url}?lang=zh-CN`);
    await expect.poll(() => bubbles(page, '智能助理')).toBe(1);
    await expect.poll(() => bubbles(page, '后4位')).toBe(1);

    await send(page, '我失业了，这个月还不上', '我会尽力帮您想办法');
    await send(page, '4821', '出生日期');
    await send(page, '1988-03-14', '身份核实成功');
    await send(page, '我每月收入八千', '必要的生活开支');
    await send(page, '房租和生活费三千', '必要开销 ¥3,000.00，对吗');
    await send(page, '对', '这是一个您能负担的还款方案');

    await expect.poll(() => page.locator('.ac-adaptiveCard', { hasText: '还款计划' }).count()).toBe(1);
    expect(await page.locator('.ac-adaptiveCard', { hasText: '第 1 期' }).count()).toBe(1);
    const suggested = page.locator('.webchat__suggested-actions button');
    await expect.poll(() => suggested.allTextContents()).toEqual(['接受', '其他方案', '转人工']);
    await page.screenshot({ path: 'test-output/negotiation-offer.png' });

    await suggested.filter({ hasText: '接受' }).click();
    await expect.poll(() => bubbles(page, '请在同意前仔细核对')).toBe(1);
    await expect.poll(() => suggested.allTextContents()).toEqual(['同意', '暂不同意']);
    await suggested.filter({ hasText: '同意' }).first().click();

    await expect.poll(() => bubbles(page, '协议编号：FB-')).toBe(1);
    const reference = (await page.locator('.webchat__bubble__content', { hasText: '协议编号' }).textContent())?.match(/FB-[0-9A-Z-]+/)?.[0];
    expect(reference).toMatch(/^FB-2026-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    await page.screenshot({ path: 'test-output/negotiation-agreement.png' });

    const arrangement = await shared.forbear.stores.arrangements.get(reference!);
    expect(arrangement?.accountId).toBe('cn-m1-wang');
    expect(arrangement?.offer.installment?.months).toBe(11);
    await page.close();
  });
});

