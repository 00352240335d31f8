/**
 * The people side in real browser pages, one shared Chromium: a cardholder in web chat asks for
 * 90% off, which the policy cannot give, and asks for a person; an agent sees the case arrive (pushed,
 * not polled), claims it, checks terms with the policy, is refused in their own language, and asks a
 * supervisor; the supervisor approves from their own queue without taking the chat; the cardholder
 * sees every term and consents; the agent sees the reference, notes and closes. Then: the console at
 * 390 px, keyboard use, English labels, an alert for a new urgent case, sign-out; the whole schedule
 * unfolds in Web Chat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import type { Forbear } from '../../bot/app.js';
import type { RunningServer } from '../../bot/server.js';
import { startForbear } from '../support/server.js';
import { bubbles, send } from '../support/webchat.js';
import { SECRET, signed } from '../lifecycle/fixtures.js';

let running: RunningServer;
let forbear: Forbear;
let browser: Browser;

beforeAll(async () => {
  ({ forbear, running } = await startForbear({ PAYMENTS_WEBHOOK_SECRET: SECRET }));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await running?.close();
});

/** Screenshots go to test-output/; the ones the README shows are copied to docs/ by hand after looking at them. */
async function shoot(page: Page, name: string) {
  await page.screenshot({ path: `test-output/${name}.png`, fullPage: true });
}

async function signIn(page: Page, name: string, password: string) {
  await page.goto(`${running.url}agent`);
  await page.fill('input[name="name"]', name);
  await page.fill('input[name="password"]', password);
  await page.click('#login button[type="submit"]');
  await expect.poll(() => page.locator('#desk').isVisible()).toBe(true);
}

async function verifiedChat(account: { last4: string; dob: string }) {
  const chat = await browser.newPage({ viewport: { width: 1000, height: 900 }, locale: 'zh-CN' });
  await chat.goto(`${running.url}?lang=zh-CN`);
  await expect.poll(() => bubbles(chat, '后4位')).toBe(1);
  await send(chat, account.last4, '出生日期');
  await send(chat, account.dob, '什么情况');
  return chat;
}

describe('the people side in the browser', () => {
  it('agent asks, supervisor approves from their queue, the cardholder consents; the agent sees the reference', { timeout: 240_000 }, async () => {
    const chat = await verifiedChat({ last4: '7305', dob: '1979-11-02' });
    await send(chat, '生意失败了', '总收入');
    await send(chat, '月收入一万五', '生活开支');
    await send(chat, '开支六千', '对吗');
    await send(chat, '对', '能负担的还款方案');
    await send(chat, '能不能减免90%', '无法提供');
    await chat.locator('.webchat__suggested-actions button', { hasText: '转人工' }).first().click();
    await expect.poll(() => bubbles(chat, '我为您转接人工客服')).toBe(1);

    const desk = await browser.newPage({ viewport: { width: 1280, height: 1000 }, locale: 'zh-CN' });
    const requests: string[] = [];
    desk.on('request', (r) => requests.push(r.url()));
    await signIn(desk, 'agent', 'agent-demo');
    const row = desk.locator('#queue li', { hasText: '要求人工' });
    await expect.poll(() => row.count()).toBe(1);
    // Reason, urgency, account, bucket, language and time waited in the row.
    expect(await row.innerText()).toMatch(/要求人工 · 一般[\s\S]*cn-m2-li · M2 · 简体中文 · 已等待 \d+ 分钟[\s\S]*等待中/);
    // Pushed by Server-Sent Events: the page never asks for the queue itself.
    expect(requests.some((u) => u.endsWith('/agent/api/events'))).toBe(true);
    expect(requests.some((u) => u.endsWith('/agent/api/queue'))).toBe(false);

    await row.locator('button').click();
    await expect.poll(() => desk.locator('#case-title').textContent()).toContain('cn-m2-li');
    const packet = await desk.locator('#packet').innerText();
    expect(packet).toContain('¥49,760.00');
    expect(packet).toContain('经营困难');
    expect(packet).toContain('结清减免 90%');
    await desk.click('#claim');
    await expect.poll(() => desk.locator('#reply input').isEnabled()).toBe(true);
    await expect.poll(() => bubbles(chat, '客服 林晓 已加入对话')).toBe(1);

    await desk.fill('#reply input', '您好，我是客服小李，我来帮您看看结清的办法。');
    await desk.click('#reply button');
    await expect.poll(() => bubbles(chat, '我是客服小李')).toBe(1);
    // In Web Chat a person's words carry their display name (not the login id) and read as a person's to a screen reader.
    expect(await chat.locator('.webchat__bubble__content', { hasText: '我是客服小李' }).innerText()).toContain('客服 林晓（真人）');
    // The accessible name a screen reader announces when moving through the transcript (arrow keys):
    // the person, never "机器人 说" before it (Web Chat's one prefix for every non-user message, read first until the fix).
    const named = (name: RegExp) => chat.getByRole('article', { name }).count();
    expect(await named(/^\s*客服 林晓（真人）说：您好，我是客服小李/)).toBe(1);
    expect(await named(/机器人.*我是客服小李/)).toBe(0);
    // The bot's own messages are still announced as the bot's, with the choices they offer.
    expect(await named(/^\s*机器人说：.*能负担的还款方案/)).toBeGreaterThan(0);
    // What the live region announces as the message arrives: the person, not the bot.
    // Web Chat fills the live region after the transcript renders: wait for it, then read what it says.
    const announced = () => chat.locator('.webchat__live-region-transcript article', { hasText: '我是客服小李' }).allInnerTexts().then((texts) => texts.join('\n'));
    await expect.poll(announced).toContain('客服 林晓（真人）说：您好，我是客服小李');
    expect(await announced()).not.toMatch(/机器人|Bot/);
    await send(chat, '好的，谢谢', '好的，谢谢');
    await expect.poll(() => desk.locator('#transcript li.cardholder', { hasText: '好的，谢谢' }).count()).toBe(1);
    const transcript = await desk.locator('#transcript').innerText();
    expect(transcript).toMatch(/持卡人 · \d{2}:\d{2}:\d{2}/);
    expect(transcript).toMatch(/机器人 · /);
    expect(transcript).toMatch(/客服 林晓 · /);

    // 20% off the balance: the policy's answer at each authority, before anything is sent.
    await desk.fill('input[name="settlement"]', '39808.00');
    await desk.click('#preview');
    await expect.poll(() => desk.locator('#preview-result').innerText()).toMatch(/坐席权限：不能照此办理，政策给出替代方案[\s\S]*主管权限：允许/);
    expect(await desk.locator('#preview-result').innerText()).toContain('一次性还款 ¥39,808.00');
    await desk.click('#send-terms');
    await expect.poll(() => desk.locator('#status').textContent()).toBe('超出您的权限，请申请主管审批。');
    await desk.fill('input[name="note"]', '客户经营失败，可一次性筹款');
    await desk.click('#request-approval');
    await expect.poll(() => desk.locator('#progress').innerText()).toContain('等待主管审批（林晓 申请）');
    await shoot(desk, 'agent-console');

    const boss = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    await signIn(boss, 'supervisor', 'supervisor-demo');
    const request = boss.locator('#approvals li', { hasText: 'cn-m2-li' });
    await expect.poll(() => request.count()).toBe(1);
    const shown = await request.innerText();
    expect(shown).toContain('林晓 申请');
    expect(shown).toContain('申请的方案：以 ¥39,808.00 结清');
    expect(shown).toContain('坐席说明：客户经营失败，可一次性筹款');
    await request.locator('summary').click();
    expect(await request.innerText()).toMatch(/supervisor\.settlement\.maxDiscountBps/);
    await shoot(boss, 'supervisor-approval');
    await request.getByRole('button', { name: '批准并发送给持卡人' }).click();

    // The approval binds nobody: the cardholder sees every term, and what a missed payment means, then consents.
    await expect.poll(() => bubbles(chat, '请在同意前仔细核对')).toBe(1);
    const terms = await chat.locator('.webchat__bubble__content', { hasText: '请在同意前仔细核对' }).innerText();
    expect(terms).toContain('¥39,808.00');
    expect(terms).toContain('未按期还款');
    expect(await forbear.stores.arrangements.listByAccount('cn-m2-li')).toHaveLength(0);
    await chat.locator('.webchat__suggested-actions button', { hasText: /^同意$/ }).click();
    await expect.poll(() => bubbles(chat, '协议编号：FB-')).toBe(1);
    await chat.screenshot({ path: 'test-output/handoff-agreement.png' });
    const [arrangement] = await forbear.stores.arrangements.listByAccount('cn-m2-li');
    expect(arrangement).toMatchObject({ approvedBy: { role: 'supervisor', id: 'supervisor' }, consentText: '同意', offer: { settlement: { amountMinor: 3_980_800 } } });

    // The agent, still in the chat, sees the reference and the terms.
    await expect.poll(() => desk.locator('#progress').innerText()).toContain(`协议编号 ${arrangement!.reference}`);
    expect(await desk.locator('#progress').innerText()).toContain('共需还款 ¥39,808.00');
    // The arrangement panel: instalment 1 due, then paid once the issuer's signed payment arrives —
    // the case view refreshes by itself (the payment moves the conversation's chain head).
    const panel = desk.locator('#arrangements-panel');
    await expect.poll(() => panel.isVisible()).toBe(true);
    const caption = desk.locator('#arrangements table caption');
    expect(await caption.innerText()).toBe(`还款安排 ${arrangement!.reference} · 执行中`);
    const firstRow = desk.locator('#arrangements tbody tr').first();
    expect(await firstRow.locator('td').allInnerTexts()).toEqual([expect.any(String), '¥39,808.00', '¥0.00', '待还']);
    const payment = signed(
      { paymentId: 'bank-console-1', reference: arrangement!.reference, accountId: 'cn-m2-li', amountMinor: 3_980_800, currency: 'CNY', paidAt: forbear.clock.now().toISOString() },
      forbear.clock.now(),
    );
    const paid = await fetch(`${running.url}api/payments`, { method: 'POST', headers: payment.headers, body: payment.body });
    expect(paid.status).toBe(200);
    await expect.poll(() => firstRow.locator('td').allInnerTexts()).toEqual([expect.any(String), '¥39,808.00', '¥39,808.00', '已还清']);
    expect(await firstRow.locator('th').innerText()).toBe('1');
    expect(await caption.innerText()).toBe(`还款安排 ${arrangement!.reference} · 已还清`);
    expect(await desk.locator('#arrangements thead th[scope="col"]').allInnerTexts()).toEqual(['期数', '到期日', '应还金额', '已还', '状态']);
    await desk.locator('#arrangements-panel').screenshot({ path: 'test-output/agent-arrangement-panel.png' });
    await shoot(desk, 'agent-arrangement');
    // At 390 px the whole table fits: no sideways scrolling, neither of the page nor of the table.
    await desk.setViewportSize({ width: 390, height: 844 });
    expect(await desk.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await desk.locator('#arrangements .table-scroll').evaluate((box) => box.scrollWidth <= box.clientWidth)).toBe(true);
    await desk.locator('#arrangements-panel').screenshot({ path: 'test-output/agent-arrangement-390.png' });
    await desk.setViewportSize({ width: 1280, height: 1000 });

    await desk.fill('#note-text', '已确认还款渠道');
    await desk.click('#note button');
    await expect.poll(() => desk.locator('#notes').innerText()).toContain('林晓：已确认还款渠道');

    // Keyboard: the queue is a list of buttons; English labels throughout.
    await desk.selectOption('#language', 'en');
    const body = await desk.locator('body').innerText();
    expect(body).not.toMatch(/\bagent\.[a-z_]+/);
    expect(body).toContain('Case notes');
    await expect.poll(() => desk.locator('#arrangements table caption').innerText()).toBe(`Arrangement ${arrangement!.reference} · completed`);
    expect(await desk.locator('#arrangements tbody tr').first().locator('td').last().innerText()).toBe('paid');
    await desk.selectOption('#language', 'zh-CN');

    // A new urgent case: an alert the agent can hear and a screen reader announces.
    const before = Number((await desk.evaluate(() => document.body.dataset.alerts)) ?? 0);
    const urgent = await verifiedChat({ last4: '4821', dob: '1988-03-14' });
    await send(urgent, '我真的不想活了', '心理援助热线');
    await expect.poll(() => desk.evaluate(() => Number(document.body.dataset.alerts ?? 0))).toBe(before + 1);
    expect(await desk.locator('#announce').textContent()).toBe('新的紧急案件：弱势客户');
    const urgentRow = desk.locator('#queue li').first();
    expect(await urgentRow.getAttribute('class')).toContain('urgency-critical');
    await urgentRow.locator('button').focus();
    await desk.keyboard.press('Enter');
    await expect.poll(() => desk.locator('#case-title').textContent()).toContain('弱势客户');

    await desk.click('#logout');
    await expect.poll(() => desk.locator('#login').isVisible()).toBe(true);
    expect((await desk.evaluate(() => fetch('/agent/api/me').then((r) => r.status)))).toBe(401);
  });

  it('works at 390 px wide', { timeout: 120_000 }, async () => {
    const chat = await verifiedChat({ last4: '1967', dob: '1992-06-30' });
    await send(chat, '转人工', '人工');
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    await signIn(phone, 'supervisor', 'supervisor-demo');
    await expect.poll(() => phone.locator('#queue li').count()).toBeGreaterThan(0);
    await phone.locator('#queue li button').first().click();
    await expect.poll(() => phone.locator('#case-body').isVisible()).toBe(true);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // Every field can be written in: none squeezed to a sliver beside its label.
    const widths = await phone.locator('#case-body input:not([type="hidden"]), #case-body select').evaluateAll((fields) => fields.map((f) => f.getBoundingClientRect().width));
    expect(Math.min(...widths)).toBeGreaterThan(150);
    await shoot(phone, 'agent-console-390');
  });

  it('unfolds the whole payment schedule in Web Chat', { timeout: 120_000 }, async () => {
    const chat = await verifiedChat({ last4: '4821', dob: '1988-03-14' });
    await send(chat, '失业了', '总收入');
    await send(chat, '月收入八千', '生活开支');
    await send(chat, '开支三千', '对吗');
    await send(chat, '对', '能负担的还款方案');
    expect(await bubbles(chat, '第 11 期')).toBe(0);
    await chat.locator('.webchat__bubble__content').getByRole('button', { name: '查看完整还款计划（共 11 期）' }).click();
    await expect.poll(() => bubbles(chat, '第 11 期')).toBe(1);
    expect(await bubbles(chat, '年利率 10%')).toBe(1);
  });
});
