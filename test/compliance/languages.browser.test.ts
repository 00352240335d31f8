/**
 * Every label in the language the reader chose, whatever the browser's own: the compliance console
 * in 繁體中文 (labels, options, hints, messages, the transcript's speakers and the annotations in
 * words — no English, no simplified characters), the agent console in 繁體中文 and English, and the
 * operations page's language chooser. The browser is an American English one, so a date field drawn
 * by the browser (mm/dd/yyyy) or an English fallback would show.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import * as OpenCC from 'opencc-js';
import { LocalAdapter } from '../../bot/channels/local.js';
import { useServerAndBrowser } from '../support/browser.js';
import { m2AsksForAPerson } from '../support/webchat.js';

const shared = useServerAndBrowser();

beforeAll(async () => {
  const adapter = new LocalAdapter(shared.forbear.bot);
  adapter.use(shared.forbear.transcriptMiddleware);
  await adapter.join('agreed-tw', { locale: 'zh-CN' });
  for (const text of ['4821', '1988-03-14', '失业了', '月收入八千', '开支三千', '对', '接受', '同意']) await adapter.send('agreed-tw', { text, locale: 'zh-CN' });
  await adapter.join('person-tw', { locale: 'en' });
  for (const text of ['9012', '1990-04-18', 'I want to talk to a person']) await adapter.send('person-tw', { text, locale: 'en' });
});

/** Data, not labels: account, offer and arrangement ids, policy and rule references, bucket names, login names, zones, file formats, currency prefixes. */
const DATA = [
  /\b[a-z]{2}-m\d-[a-z]+\b/g,
  /\b[a-z]{2}-co-[a-z]+\b/g,
  /default-(?:cn|us)@[\w.:#-]+/g,
  /\b(?:M\d(?:_\d)?|CO)\b/g,
  /Asia\/Shanghai|America\/New_York/g,
  /\b(?:JSONL|CSV|Forbear|GMT)\b/g,
  /\b(?:agent|supervisor|compliance|operations)\b/g,
  /\bFB-[\w-]+/g,
  /\b(?:CN|US)(?=[¥$])/g,
  // Offer ids ("installment-24+fee-100pct"): the id that ties an offer shown to its consent and arrangement.
  /\b(?:installment|settlement|deferral|token|breathing)[\w+.-]*/g,
  /\d{4}-\d{2}-\d{2}/g,
];
const withoutData = (s: string) => DATA.reduce((acc, re) => acc.replace(re, ''), s);

/** Characters OpenCC writes differently in Taiwan's standard, less the variants Taiwan writes both ways (臺/台, 準/准, 佔/占). */
const toTraditional = OpenCC.Converter({ from: 'cn', to: 'tw' });
const simplified = (s: string) => [...s].filter((ch) => /\p{Script=Han}/u.test(ch) && !'台准占'.includes(ch) && toTraditional(ch) !== ch);

/** What the page says about itself: headings, labels, buttons, options, hints, summaries, table heads, aria-labels, titles, placeholders. */
const chrome = (page: Page, scope = 'body') =>
  page.evaluate((root) => {
    const out: string[] = [];
    const shown = (n: Element) => n.tagName === 'OPTION' || (n as HTMLElement).offsetParent !== null;
    for (const n of document.querySelectorAll(`${root} :is(h1, h2, h3, label, button, summary, dt, th, caption, option, .hint, p[id], strong, a, .speaker)`)) {
      // The language chooser names each language in itself; a transcript's messages are in the conversation's language.
      if (n.closest('#language') || (n.closest('#transcript') && !n.matches('.speaker')) || !shown(n)) continue;
      const t = (n as HTMLElement).innerText ?? n.textContent;
      if (t && t.trim()) out.push(t.trim());
    }
    for (const n of document.querySelectorAll(`${root} [aria-label], ${root} [title], ${root} [placeholder]`)) {
      for (const a of ['aria-label', 'title', 'placeholder']) if (n.getAttribute(a)) out.push(n.getAttribute(a)!);
    }
    return out;
  }, scope);

/** Every text of `texts` written in 繁體中文: no Latin letters besides data, no simplified characters. */
function allTraditional(texts: string[]) {
  for (const t of texts) {
    expect(withoutData(t), `English in "${t}"`).not.toMatch(/[A-Za-z]/);
    expect(simplified(t), `simplified characters in "${t}"`).toEqual([]);
  }
}

async function signIn(page: Page, path: string, name: string, password: string) {
  await page.goto(`${shared.running.url}${path}`);
  await page.fill('input[name="name"]', name);
  await page.fill('input[name="password"]', password);
  await page.click('#login button[type="submit"]');
}

describe('the consoles in the reader\'s language', () => {
  it('the compliance console in 繁體中文: every label, option, hint, message and annotation', { timeout: 180_000 }, async () => {
    const page = await shared.browser.newPage({ viewport: { width: 1280, height: 1000 }, locale: 'en-US', timezoneId: 'America/New_York' });
    await page.goto(`${shared.running.url}compliance`);
    await page.selectOption('#language', 'zh-TW');
    expect(await page.locator('#language').getAttribute('aria-label')).toBe('語言');
    allTraditional(await chrome(page));
    await signIn(page, 'compliance', 'compliance', 'compliance-demo');
    await expect.poll(() => page.locator('#result-count').textContent()).toMatch(/共 2 個/);
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-TW');
    allTraditional(await chrome(page));
    allTraditional(await page.locator('#results li').allInnerTexts());
    expect(await page.locator('select[name="outcome"] option').allTextContents()).toEqual(['全部', '達成還款安排', '轉真人', '中途放棄']);

    // Dates: the console's own field and format, not the browser's (no mm/dd/yyyy on this en-US browser).
    expect(await page.locator('input[type="date"]').count()).toBe(0);
    const from = page.locator('#search input[name="from"]');
    const to = page.locator('#search input[name="to"]');
    expect(await page.locator('#search label:has(input[name="from"])').innerText()).toContain('年-月-日，例如 2026-11-30');
    await from.fill('2026/11/22');
    await to.fill('２０２６年１１月２２日');
    await page.click('#search button[type="submit"]');
    await expect.poll(() => from.inputValue()).toBe('2026-11-22');
    expect(await to.inputValue()).toBe('2026-11-22');
    await expect.poll(() => page.locator('#result-count').textContent()).toMatch(/共 2 個/);
    await from.fill('2026-02-30');
    expect(await from.getAttribute('aria-invalid')).toBe('true');
    expect(await from.evaluate((i: HTMLInputElement) => i.validationMessage)).toBe('請依 年-月-日 填寫一個有效日期，例如 2026-11-30。');
    expect(await page.locator('#search').evaluate((f: HTMLFormElement) => f.checkValidity())).toBe(false);
    await from.fill('');
    await to.fill('');

    // A conversation, its speakers and the decisions behind every annotated message, in words.
    await page.locator('#results li', { hasText: 'cn-m1-wang' }).locator('button').click();
    await expect.poll(() => page.locator('#chain').textContent()).toContain('未被竄改');
    allTraditional(await chrome(page, '#conversation'));
    const speakers = await page.locator('#transcript .speaker').allInnerTexts();
    expect(speakers.length).toBeGreaterThan(5);
    allTraditional(speakers);
    const annotated = page.locator('#transcript li.annotated button');
    const count = await annotated.count();
    expect(count).toBeGreaterThan(3);
    const read: string[] = [];
    for (let i = 0; i < count; i++) {
      await annotated.nth(i).click();
      await expect.poll(() => page.locator('#annotation').isVisible()).toBe(true);
      read.push(await page.locator('#annotation').innerText());
    }
    const annotations = read.join('\n');
    expect(annotations).toMatch(/意圖\s+/);
    expect(annotations).not.toMatch(/request_installment|classifier|\{"/);
    allTraditional(annotations.split('\n'));
    await page.screenshot({ path: 'test-output/compliance-console-zh-TW.png', fullPage: true });

    // A verdict (the choice is never blank), and what the page says when saving it fails (the server's answer is not shown raw).
    expect(await page.locator('select[name="verdict"]').inputValue()).toBe('pass');
    expect(await page.locator('select[name="verdict"] option:checked').textContent()).toBe('合格');
    await page.click('#review button[type="submit"]');
    await expect.poll(() => page.locator('#review-result').textContent()).toMatch(/^審查已記錄/);
    await page.route('**/review', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":{"message":"Service Unavailable"}}' }));
    await page.click('#review button[type="submit"]');
    await expect.poll(() => page.locator('#review-result').textContent()).toBe('審查結論未能儲存（503），請稍後再試。');
    await page.unroute('**/review');

    // The same page in English: the date hint too.
    await page.selectOption('#language', 'en');
    expect(await page.locator('#search label:has(input[name="from"])').innerText()).toContain('year-month-day, e.g. 2026-11-30');
    await from.fill('30/11/2026');
    expect(await from.evaluate((i: HTMLInputElement) => i.validationMessage)).toBe('Enter a real date as year-month-day, e.g. 2026-11-30.');
    for (const t of await chrome(page)) expect(t, `Chinese in "${t}"`).not.toMatch(/\p{Script=Han}/u);
    await page.close();
  });

  it('the agent console in 繁體中文 and English: no label left in another language', { timeout: 180_000 }, async () => {
    await m2AsksForAPerson(shared.browser, shared.running.url);

    const desk = await shared.browser.newPage({ viewport: { width: 1280, height: 1000 }, locale: 'en-US' });
    await desk.goto(`${shared.running.url}agent`);
    await desk.selectOption('#language', 'zh-TW');
    allTraditional(await chrome(desk));
    await signIn(desk, 'agent', 'agent', 'agent-demo');
    await expect.poll(() => desk.locator('#desk').isVisible()).toBe(true);
    const row = desk.locator('#queue li', { hasText: 'cn-m2-li' });
    await expect.poll(() => row.count()).toBe(1);
    await row.locator('button').click();
    await desk.click('#claim');
    await expect.poll(() => desk.locator('#reply input').isEnabled()).toBe(true);
    await desk.fill('input[name="settlement"]', '39808');
    await desk.click('#preview');
    await expect.poll(() => desk.locator('#preview-result .preview').count()).toBe(2);
    await desk.locator('#preview-result summary').first().click();
    const names = /林晓|林曉|陈静|陳靜/g;
    const traditional = async () => {
      // Colleagues' display names are names, not labels.
      const texts = (await chrome(desk)).map((t) => t.replace(names, ''));
      allTraditional(texts);
      allTraditional([(await desk.locator('#packet').innerText()).replace(names, ''), await desk.locator('#preview-result').innerText()]);
    };
    await traditional();
    expect(await desk.locator('#language').getAttribute('aria-label')).toBe('語言');
    await desk.screenshot({ path: 'test-output/agent-console-zh-TW.png', fullPage: true });

    await desk.selectOption('#language', 'en');
    const english = async () => [...(await chrome(desk)), await desk.locator('#packet').innerText(), await desk.locator('#preview-result').innerText()];
    // The case view is redrawn in English once its data is back.
    await expect.poll(async () => (await english()).filter((t) => /\p{Script=Han}/u.test(t.replace(names, '')))).toEqual([]);
    expect((await english()).join('\n')).not.toMatch(/\bagent\.[a-z_]+/);
  });

  it('the operations page names its language chooser and reads dates in the chosen language', { timeout: 120_000 }, async () => {
    const page = await shared.browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    await page.goto(`${shared.running.url}ops`);
    await page.selectOption('#language', 'zh-TW');
    expect(await page.locator('#language').getAttribute('aria-label')).toBe('語言');
    await signIn(page, 'ops', 'operations', 'operations-demo');
    await expect.poll(() => page.locator('#dashboard').isVisible()).toBe(true);
    const from = page.locator('#filters input[name="from"]');
    expect(await page.locator('#filters label:has(input[name="from"])').innerText()).toContain('年-月-日，例如 2026-11-30');
    await page.selectOption('#language', 'en');
    expect(await page.locator('#language').getAttribute('aria-label')).toBe('Language');
    await from.fill('2026/11/1');
    await page.click('#filters button[type="submit"]');
    await expect.poll(() => from.inputValue()).toBe('2026-11-01');
  });
});
