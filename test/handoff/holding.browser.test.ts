/**
 * The hard case in real browser pages: cn-m2-li with ¥1,000 a month left over is handed off as
 * unaffordable; the agent checks a token payment with the policy (beyond an agent's months), asks a
 * supervisor; the supervisor approves it from the approvals queue; the cardholder reads every term
 * in Web Chat (what is paid, the freeze, what is still owed, the review date) and consents; the
 * agent sees the reference. The console's labels for it in zh-TW and en, and at 390 px.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useServerAndBrowser } from '../support/browser.js';
import { bubbles, send, verifiedM2 } from '../support/webchat.js';

const shared = useServerAndBrowser();

async function signIn(page: Page, name: string, password: string) {
  await page.goto(`${shared.running.url}agent`);
  await page.fill('input[name="name"]', name);
  await page.fill('input[name="password"]', password);
  await page.click('#login button[type="submit"]');
  await expect.poll(() => page.locator('#desk').isVisible()).toBe(true);
}

describe('a token payment for the case nothing else fits', () => {
  it('agent asks, supervisor approves, the cardholder reads every term and consents', { timeout: 240_000 }, async () => {
    const chat = await verifiedM2(shared.browser, shared.running.url);
    await send(chat, '失业了', '总收入');
    await send(chat, '月收入一万四', '必要的生活开支');
    await send(chat, '开支一万三', '必要开销 ¥13,000.00，对吗');
    await send(chat, '对', '难以负担');

    const desk = await shared.browser.newPage({ viewport: { width: 1280, height: 1000 }, locale: 'zh-CN' });
    await signIn(desk, 'agent', 'agent-demo');
    const row = desk.locator('#queue li', { hasText: 'cn-m2-li' });
    await expect.poll(() => row.count()).toBe(1);
    await row.locator('button').click();
    await desk.click('#claim');
    await expect.poll(() => desk.locator('#reply input').isEnabled()).toBe(true);

    await desk.fill('input[name="months"]', '6');
    await desk.fill('input[name="token"]', '400');
    await desk.click('#preview');
    const preview = desk.locator('#preview-result');
    await expect.poll(() => preview.innerText()).toMatch(/主管权限：允许/);
    expect(await preview.innerText()).toContain('临时小额还款 6 期，每期 ¥400.00');
    expect(await preview.innerText()).toContain('不是结清方案：结束时仍欠 ¥47,360.00');
    await desk.fill('input[name="note"]', '刚失业，先小额还款半年');
    await desk.click('#request-approval');
    await expect.poll(() => desk.locator('#progress').innerText()).toContain('等待主管审批');

    const boss = await shared.browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    await signIn(boss, 'supervisor', 'supervisor-demo');
    const request = boss.locator('#approvals li', { hasText: 'cn-m2-li' });
    await expect.poll(() => request.count()).toBe(1);
    expect(await request.innerText()).toContain('林晓 申请');
    expect(await request.innerText()).toContain('临时小额还款每期 ¥400.00，共 6 期');
    expect(await boss.locator('#who').innerText()).toBe('陈静 · supervisor (主管)');
    await request.locator('summary').click();
    // The policy's reasons in words, each with its rule id.
    expect(await request.innerText()).toContain('在权限范围内 — default-cn@2026.2:peopleArrangements.tokenPayment.maxMonths.supervisor');
    await boss.screenshot({ path: 'test-output/supervisor-token-payment.png', fullPage: true });
    await request.getByRole('button', { name: '批准并发送给持卡人' }).click();

    await expect.poll(() => bubbles(chat, '临时小额还款')).toBe(1);
    const terms = await chat.locator('.webchat__bubble__content', { hasText: '临时小额还款' }).innerText();
    expect(terms).toContain('每月还款 ¥400.00，共 6 期');
    expect(terms).toContain('停止计息');
    expect(terms).toContain('结束时仍欠 ¥47,360.00');
    expect(terms).toMatch(/前客服会与您一起复核/);
    expect(terms).toContain('未按期还款');
    await chat.screenshot({ path: 'test-output/webchat-token-terms.png' });
    expect(await shared.forbear.stores.arrangements.listByAccount('cn-m2-li')).toHaveLength(0);
    await chat.locator('.webchat__suggested-actions button', { hasText: /^同意$/ }).click();
    await expect.poll(() => bubbles(chat, '协议编号：FB-')).toBe(1);
    await expect.poll(() => bubbles(chat, '一起复核本安排')).toBe(1);
    const [arrangement] = await shared.forbear.stores.arrangements.listByAccount('cn-m2-li');
    expect(arrangement).toMatchObject({ approvedBy: { role: 'supervisor' }, offer: { holding: { kind: 'token_payment' } } });
    await expect.poll(() => desk.locator('#progress').innerText()).toContain(`协议编号 ${arrangement!.reference}`);
    expect(await desk.locator('#progress').innerText()).toContain('临时小额还款 6 期');

    // Every label of it in the other languages, and the form at 390 px.
    for (const [lang, label] of [['zh-TW', '臨時小額還款'], ['en', 'Token payment a month']] as const) {
      await desk.selectOption('#language', lang);
      const body = await desk.locator('body').innerText();
      expect(body).not.toMatch(/\bagent\.[a-z_]+/);
      expect(body).toContain(label);
    }
    await desk.selectOption('#language', 'zh-CN');
    await desk.setViewportSize({ width: 390, height: 844 });
    expect(await desk.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await desk.locator('#approve').screenshot({ path: 'test-output/agent-terms-form-390.png' });
  });
});
