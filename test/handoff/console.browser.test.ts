/**
 * The scenario in two real browser pages: a cardholder in web chat asks for 90% off, which
 * the policy cannot give; they ask for a person; a supervisor in the agent console claims the case,
 * chats, and approves a settlement only a supervisor may grant; the cardholder sees the agreement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import type { Forbear } from '../../bot/app.js';
import type { RunningServer } from '../../bot/server.js';
import { startForbear } from '../support/server.js';
import { bubbles, send } from '../support/webchat.js';

let running: RunningServer;
let forbear: Forbear;
let browser: Browser;

beforeAll(async () => {
  ({ forbear, running } = await startForbear());
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await running?.close();
});

describe('handoff in the browser', () => {
  it('a supervisor approves in the console what the bot could not, and the cardholder sees the agreement', async () => {
    const chat = await browser.newPage({ viewport: { width: 1100, height: 860 }, locale: 'zh-CN' });
    await chat.goto(`${running.url}?lang=zh-CN`);
    await expect.poll(() => bubbles(chat, '后4位'), { timeout: 20_000 }).toBe(1);
    await send(chat, '7305', '出生日期');
    await send(chat, '1979-11-02', '什么情况');
    await send(chat, '生意失败了', '总收入');
    await send(chat, '月收入一万五', '生活开支');
    await send(chat, '开支六千', '能负担的还款方案');
    await send(chat, '能不能减免90%', '无法提供');
    await chat.locator('.webchat__suggested-actions button', { hasText: '转人工' }).first().click();
    await expect.poll(() => bubbles(chat, '我为您转接人工客服'), { timeout: 15_000 }).toBe(1);

    const desk = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    await desk.goto(`${running.url}agent`);
    await desk.fill('input[name="name"]', 'supervisor');
    await desk.fill('input[name="password"]', 'supervisor-demo');
    await desk.click('#login button[type="submit"]');
    const item = desk.locator('#queue li', { hasText: '要求人工' });
    await expect.poll(() => item.count(), { timeout: 10_000 }).toBe(1);
    await item.click();
    await expect.poll(() => desk.locator('#case-title').textContent()).toContain('cn-m2-li');
    expect(await desk.locator('#packet').textContent()).toContain('¥49,760.00');
    await desk.click('#claim');
    await expect.poll(() => desk.locator('#reply input').isEnabled()).toBe(true);

    await desk.fill('#reply input', '您好，我是王主管。我可以为您申请一次性结清优惠。');
    await desk.click('#reply button');
    await expect.poll(() => bubbles(chat, '我是王主管'), { timeout: 15_000 }).toBe(1);
    await send(chat, '好的，谢谢', '好的，谢谢');
    await expect.poll(() => desk.locator('#transcript li.cardholder', { hasText: '好的，谢谢' }).count(), { timeout: 10_000 }).toBe(1);

    // 20% off the ¥49,760.00 balance: beyond the bot (0%) and an agent (10%), within a supervisor's 20%.
    await desk.fill('input[name="settlement"]', '39808.00');
    await desk.evaluate(() => (document.getElementById('decision')!.textContent = ''));
    const approval = desk.waitForResponse((r) => r.url().endsWith('/approve'));
    await desk.click('#approve button');
    const answer = await approval;
    expect(answer.status(), JSON.stringify({ sent: answer.request().postDataJSON(), got: await answer.json() }).slice(0, 1500)).toBe(200);
    await expect.poll(() => desk.locator('#decision').textContent(), { timeout: 10_000 }).toBe('已完成。');
    await desk.screenshot({ path: 'test-output/agent-console.png' });

    // The supervisor's approval binds nobody: the cardholder sees the terms and consents in the chat.
    await expect.poll(() => bubbles(chat, '请在同意前仔细核对'), { timeout: 15_000 }).toBe(1);
    expect(await forbear.stores.arrangements.listByAccount('cn-m2-li')).toHaveLength(0);
    await chat.locator('.webchat__suggested-actions button', { hasText: '同意' }).first().click();
    await expect.poll(() => bubbles(chat, '协议编号：FB-'), { timeout: 15_000 }).toBe(1);
    await chat.screenshot({ path: 'test-output/handoff-agreement.png' });
    const [arrangement] = await forbear.stores.arrangements.listByAccount('cn-m2-li');
    expect(arrangement).toMatchObject({ approvedBy: { role: 'supervisor', id: 'supervisor' }, offer: { settlement: { amountMinor: 3_980_800 } } });
  });
});
