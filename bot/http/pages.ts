/**
 * Pages and their assets: read once at start-up and served from memory (GET and HEAD), with ETag
 * revalidation and gzip. A page is registered in one call with its HTML, its own static files, any
 * library bundle it needs from node_modules (no CDN) and its texts — the catalog keys it picks, in
 * every language, so no other catalog text reaches the page.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Request, Response, Server } from 'restify';
import { catalogs } from '../../conversation/messages/index.js';
import { Language } from '../../conversation/language.js';
import { pageCsp } from './headers.js';

export interface Asset {
  type: string;
  body: Buffer;
  gzipped: Buffer;
  etag: string;
  csp?: string;
  /** hashed-by-version assets may be cached; the page itself is revalidated every time */
  cacheControl: string;
}

export function asset(type: string, body: Buffer, cacheControl: string, csp?: string): Asset {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  // Compressed when first asked for, not at start-up: the Web Chat bundle alone took ≈ 80 ms of start-up CPU.
  let gzipped: Buffer | undefined;
  return {
    type,
    body,
    get gzipped() {
      return (gzipped ??= gzipSync(body));
    },
    etag,
    cacheControl,
    ...(csp ? { csp } : {}),
  };
}

function send(req: Request, res: Response, a: Asset): void {
  const headers: Record<string, string> = {
    'Content-Type': a.type,
    'Cache-Control': a.cacheControl,
    ETag: a.etag,
    Vary: 'Accept-Encoding',
  };
  if (a.csp) headers['Content-Security-Policy'] = a.csp;
  if (req.header('if-none-match') === a.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = /\bgzip\b/.test(req.header('accept-encoding') ?? '');
  const body = gzip ? a.gzipped : a.body;
  res.writeHead(200, { ...headers, 'Content-Length': String(body.length), ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Serves in-memory assets (GET and HEAD) with ETag revalidation and gzip. */
export function serveAssets(server: Server, assets: Record<string, Asset>): void {
  for (const [path, a] of Object.entries(assets)) {
    const handler = async (req: Request, res: Response) => send(req, res, a);
    server.get(path, handler);
    server.head(path, handler);
  }
}

/** The texts a page may show, in every language: only the catalog keys `picks` accepts. */
export function catalogTexts(picks: (key: string) => boolean): Record<Language, Record<string, string>> {
  const pick = (lang: Language) => Object.fromEntries(Object.entries(catalogs[lang]).filter(([key]) => picks(key)));
  return Object.fromEntries(Language.options.map((lang) => [lang, pick(lang)])) as Record<Language, Record<string, string>>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};
const typeOf = (name: string) => TYPES[extname(name)] ?? 'application/octet-stream';

export interface Page {
  /** Where the page is ('/agent'); its assets are under `<path>/assets/`. */
  path: string;
  /** The folder of its index.html and files (`new URL('./static/', import.meta.url)`). */
  dir: URL;
  /** Its own files in that folder, revalidated every time. */
  files: readonly string[];
  /** Library bundles by asset name, cached for a day (they change only with the package). */
  bundles?: Record<string, Buffer>;
  /** Which catalog keys the page shows, served as `<path>/assets/texts.json`. */
  texts: (key: string) => boolean;
  /**
   * A console page (agent, compliance): its index.html holds only what is its own — an optional
   * leading `<header>` with its own header controls, then the rest of its body — and is served inside
   * the consoles' one frame (static/console.html: the head, the shared sign-in script and the header
   * with the page's title, who is signed in, the language and sign-out, their texts under `area.`).
   */
  console?: { area: string };
}

const FRAME = readFileSync(new URL('./static/console.html', import.meta.url), 'utf8');

/** The console page's own markup inside the frame, linking the page's bundles and files in that order. */
function framed(own: string, area: string, assets: readonly string[]): string {
  const [, header = '', body = ''] = /^\s*(?:<header>([\s\S]*?)<\/header>)?([\s\S]*)$/.exec(own) ?? [];
  const frameLinks = new Set(FRAME.match(/(?<=href=")[^"]+/g));
  const linked = (ending: string, tag: (src: string) => string) => assets.filter((src) => src.endsWith(ending) && !frameLinks.has(src)).map(tag);
  const lines = (markup: string) => markup.replace(/^\n+|\s+$/g, '').split('\n').filter((line) => line !== '');
  const slots: Record<string, string[]> = {
    styles: linked('.css', (src) => `<link rel="stylesheet" href="${src}" />`),
    scripts: linked('.js', (src) => `<script src="${src}" defer></script>`),
    header: lines(header).map((line) => line.replace(/^ {2}/, '')),
    body: lines(body),
  };
  // Each slot's line is replaced by its lines at the slot's indent (none: the line goes); a function
  // replacer so the page's markup goes in as it is, `$` and all.
  return FRAME.replaceAll('{area}', area).replace(/^( *)<!-- (\w+) -->\n/gm, (_line, indent: string, slot: string) =>
    (slots[slot] ?? []).map((line) => `${indent}${line}\n`).join(''),
  );
}

export function registerPage(server: Server, page: Page): void {
  const base = `${page.path === '/' ? '' : page.path}/assets/`;
  const revalidate = 'no-cache';
  const own = readFileSync(new URL('index.html', page.dir));
  const assets = [...Object.keys(page.bundles ?? {}), ...page.files].map((name) => base + name);
  const html = page.console ? Buffer.from(framed(own.toString('utf8'), page.console.area, assets)) : own;
  serveAssets(server, {
    [page.path]: asset(typeOf('index.html'), html, revalidate, pageCsp()),
    ...Object.fromEntries(page.files.map((name) => [base + name, asset(typeOf(name), readFileSync(new URL(name, page.dir)), revalidate)])),
    ...Object.fromEntries(Object.entries(page.bundles ?? {}).map(([name, body]) => [base + name, asset(typeOf(name), body, 'public, max-age=86400')])),
    [`${base}texts.json`]: asset(typeOf('texts.json'), Buffer.from(JSON.stringify(catalogTexts(page.texts))), revalidate),
  });
}
