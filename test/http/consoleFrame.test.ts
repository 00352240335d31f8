/**
 * The agent and compliance pages are served inside the consoles' one frame (bot/http/static/console.html):
 * one head with the shared stylesheet and sign-in before the page's own files, one header with the
 * page's title, its own controls, the language and sign-out, then the page's own markup, as it is.
 */
import type { AddressInfo } from 'node:net';
import restify from 'restify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerPage } from '../../bot/http/pages.js';

let server: restify.Server;
let base: string;
beforeAll(async () => {
  server = restify.createServer();
  const texts = () => false;
  registerPage(server, { path: '/agent', dir: new URL('../../bot/agent/static/', import.meta.url), files: ['console.css', 'console.js'], texts, console: { area: 'agent' } });
  registerPage(server, { path: '/compliance', dir: new URL('../../bot/compliance/static/', import.meta.url), files: ['review.js'], texts, console: { area: 'compliance' } });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const page = async (path: string) => (await fetch(base + path)).text();
const count = (html: string, pattern: RegExp) => html.match(new RegExp(pattern, 'g'))?.length ?? 0;

describe('console frame', () => {
  it.each([
    ['/agent', 'agent', ['/agent/assets/console.js']],
    ['/compliance', 'compliance', ['/compliance/assets/review.js']],
  ])('%s: one head and header around the page’s own markup', async (path, area, scripts) => {
    const html = await page(path);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    for (const tag of [/<head>/, /<header>/, /<main>/, /<\/body>/]) expect(count(html, tag), String(tag)).toBe(1);
    expect(count(html, /console\.css/)).toBe(1);
    expect([...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1])).toEqual(['/console/assets/signin.js', ...scripts]);
    const header = html.slice(html.indexOf('<header>'), html.indexOf('</header>'));
    for (const key of ['title', 'language_label', 'logout']) expect(header).toContain(`"${area}.${key}"`);
    expect(html).not.toMatch(/<!-- (styles|scripts|header|body) -->|\{area\}/);
  });

  it("puts the page's own header controls in the header, before the language", async () => {
    const html = await page('/agent');
    const header = html.slice(html.indexOf('<header>'), html.indexOf('</header>'));
    expect(header.indexOf('id="who"')).toBeLessThan(header.indexOf('id="alerts"'));
    expect(header.indexOf('id="alerts"')).toBeLessThan(header.indexOf('id="language"'));
    expect(html.indexOf('id="announce"')).toBeGreaterThan(html.indexOf('</header>'));
  });
});
