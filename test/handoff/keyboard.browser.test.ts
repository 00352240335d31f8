/**
 * The agent console by keyboard alone (Tab, Shift+Tab, Enter, Space, arrow keys — no mouse, no
 * element focused by the test): an agent signs in, opens a case from the queue, claims it, writes
 * to the cardholder, checks terms with the policy and asks a supervisor; the supervisor signs in,
 * reads the policy's reasons and declines with a reason; the agent closes the case with a disposition and signs
 * out. Every control reached shows where the focus is, and no action drops the focus to the page.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useServerAndBrowser } from '../support/browser.js';
import { bubbles, m2AsksForAPerson } from '../support/webchat.js';

const shared = useServerAndBrowser();

/** What has the focus, and whether it can be seen (an outline or a box shadow on a box that has a size). */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { on: 'body', visible: false };
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
    const name = el.getAttribute('name');
    return { on: `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${name ? `[name=${name}]` : ''}`, visible: ring && box.width > 0 && box.height > 0 };
  });

/**
 * Presses Tab (or Shift+Tab) until `selector` has the focus; fails if it is never reached, or if
 * any control passed on the way shows no focus (the page itself, between the last control and the
 * browser's own, is skipped).
 */
async function tabTo(page: Page, selector: string, { back = false, max = 80 } = {}): Promise<void> {
  const trail: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const now = await focused(page);
    trail.push(now.on);
    if (now.on !== 'body') expect(now.visible, `focus on ${now.on} cannot be seen (after ${trail.join(' → ')})`).toBe(true);
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  throw new Error(`${back ? 'Shift+Tab' : 'Tab'} never reached ${selector}; the focus went ${trail.join(' → ')}`);
}

async function signInByKeyboard(page: Page, name: string, password: string) {
  await page.goto(`${shared.running.url}agent`);
  await expect.poll(() => page.locator('#login input[name="name"]').isVisible()).toBe(true);
  await tabTo(page, '#login input[name="name"]');
  await page.keyboard.type(name);
  await tabTo(page, '#login input[name="password"]');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await expect.poll(() => page.locator('#desk').isVisible()).toBe(true);
}

describe('the agent console by keyboard alone', () => {
  it('sign in, open, claim, write, check terms, ask a supervisor who declines, close with a disposition, sign out', { timeout: 240_000 }, async () => {
    const chat = await m2AsksForAPerson(shared.browser, shared.running.url);

    const desk = await shared.browser.newPage({ viewport: { width: 1280, height: 1000 }, locale: 'zh-CN' });
    await signInByKeyboard(desk, 'agent', 'agent-demo');
    await expect.poll(() => desk.locator('#queue li', { hasText: 'cn-m2-li' }).count()).toBe(1);
    await tabTo(desk, '#queue button.row');
    await desk.keyboard.press('Enter');
    // The case opens with the focus on its title, so the next Tab goes into the case.
    await expect.poll(() => desk.evaluate(() => document.activeElement?.id)).toBe('case-title');
    expect(await desk.locator('#case-title').textContent()).toContain('cn-m2-li');

    await tabTo(desk, '#claim');
    await desk.keyboard.press('Space');
    await expect.poll(() => bubbles(chat, '客服 林晓 已加入对话')).toBe(1);
    // Claiming disables the claim button; the focus moves on to the reply box instead of falling to the page.
    await expect.poll(() => desk.evaluate(() => document.activeElement?.id)).toBe('reply-text');
    expect((await focused(desk)).visible).toBe(true);
    await desk.keyboard.type('您好，我是林晓，我来帮您看看结清的办法。');
    await desk.keyboard.press('Enter');
    await expect.poll(() => bubbles(chat, '我来帮您看看结清的办法')).toBe(1);
    expect(await desk.evaluate(() => document.activeElement?.id)).toBe('reply-text');

    // Terms: a settlement beyond the agent's authority, checked with the policy, then sent to a supervisor.
    await tabTo(desk, '#approve input[name="settlement"]');
    await desk.keyboard.type('39808');
    await tabTo(desk, '#approve input[name="note"]');
    await desk.keyboard.type('客户经营失败，可一次性筹款');
    await tabTo(desk, '#preview');
    await desk.keyboard.press('Space');
    await expect.poll(() => desk.locator('#preview-result').innerText()).toMatch(/主管权限：允许/);
    // The policy's reasons fold open from the keyboard.
    await tabTo(desk, '#preview-result summary');
    await desk.keyboard.press('Enter');
    await expect.poll(() => desk.locator('#preview-result details[open]').count()).toBeGreaterThan(0);
    // The policy's comparison in money, not minor units ("995200 > 497600").
    expect(await desk.locator('#preview-result details[open]').first().innerText()).toContain('结清减免超出权限 (¥9,952.00 > ¥4,976.00)');
    await tabTo(desk, '#request-approval', { back: true });
    await desk.keyboard.press('Enter');
    await expect.poll(() => desk.locator('#progress').innerText()).toContain('等待主管审批');

    const boss = await shared.browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    await signInByKeyboard(boss, 'supervisor', 'supervisor-demo');
    const request = boss.locator('#approvals li', { hasText: 'cn-m2-li' });
    await expect.poll(() => request.count()).toBe(1);
    await tabTo(boss, '#approvals summary');
    await boss.keyboard.press('Enter');
    await expect.poll(() => request.innerText()).toMatch(/supervisor\.settlement\.maxDiscountBps/);
    // The supervisor declines with a reason typed in the request; the queue's pushes do not wipe it.
    await tabTo(boss, '#approvals input[name="reason"]');
    await boss.keyboard.type('请先核实筹款来源');
    await tabTo(boss, '#approvals button.secondary');
    await boss.keyboard.press('Enter');
    await expect.poll(() => desk.locator('#progress').innerText()).toContain('请先核实筹款来源');

    // The agent closes the case with a disposition chosen by arrow key, and a note.
    await tabTo(desk, '#close select[name="disposition"]');
    const first = await desk.locator('#close select[name="disposition"]').inputValue();
    await desk.keyboard.press('ArrowDown');
    const chosen = await desk.locator('#close select[name="disposition"]').inputValue();
    expect(chosen).not.toBe(first);
    await tabTo(desk, '#close input[name="note"]');
    await desk.keyboard.type('主管未批准，待客户补充材料');
    await desk.keyboard.press('Enter');
    const chosenLabel = await desk.locator('#close select[name="disposition"] option:checked').textContent();
    await expect.poll(() => desk.locator('#status').textContent()).toBe(`已结案（${chosenLabel}）。`);
    // The case view refreshed after closing; what the agent chose is still what the form shows.
    expect(await desk.locator('#close select[name="disposition"]').inputValue()).toBe(chosen);
    // The closed case's controls are disabled; the focus is on the outcome, not lost.
    // Polled: the status text is written before the closed case's refresh moves the focus to it.
    await expect.poll(() => desk.evaluate(() => document.activeElement?.id)).toBe('status');
    await desk.screenshot({ path: 'test-output/agent-keyboard-closed.png', fullPage: true });

    await tabTo(desk, '#logout', { back: true });
    await desk.keyboard.press('Enter');
    await expect.poll(() => desk.locator('#login').isVisible()).toBe(true);
  });
});
