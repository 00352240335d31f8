/**
 * The cardholder's chat page: static HTML/CSS/JS from `bot/web/static`, the botframework-webchat
 * bundle from the npm package (no CDN), and the page texts from the message catalogs (`web.*`).
 * Everything is read once at start-up and served from memory, gzipped when the client accepts it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Request, Response, Server } from 'restify';
import { pageCsp } from '../http/headers.js';
import { catalogs } from '../../conversation/messages/index.js';
import { Language } from '../../conversation/language.js';

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
  return { type, body, gzipped: gzipSync(body), etag, cacheControl, ...(csp ? { csp } : {}) };
}

/** Page texts for every language: only the `web.` keys, so no other catalog text leaks to the page. */
export function pageTexts(): Record<Language, Record<string, string>> {
  const pick = (lang: Language) =>
    Object.fromEntries(Object.entries(catalogs[lang]).filter(([key]) => key.startsWith('web.')));
  return Object.fromEntries(Language.options.map((lang) => [lang, pick(lang)])) as Record<Language, Record<string, string>>;
}

function webChatBundle(): Buffer {
  const entry = createRequire(import.meta.url).resolve('botframework-webchat');
  return readFileSync(new URL('../dist/webchat.js', `file://${entry}`));
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

export function registerWebChat(server: Server): void {
  const file = (name: string) => readFileSync(new URL(`./static/${name}`, import.meta.url));
  const revalidate = 'no-cache';
  const assets: Record<string, Asset> = {
    '/': asset('text/html; charset=utf-8', file('index.html'), revalidate, pageCsp()),
    '/assets/app.js': asset('text/javascript; charset=utf-8', file('app.js'), revalidate),
    '/assets/style.css': asset('text/css; charset=utf-8', file('style.css'), revalidate),
    '/assets/webchat.js': asset('text/javascript; charset=utf-8', webChatBundle(), 'public, max-age=86400'),
    '/assets/texts.json': asset('application/json; charset=utf-8', Buffer.from(JSON.stringify(pageTexts())), revalidate),
  };
  serveAssets(server, assets);
}

/** Serves in-memory assets (GET and HEAD) with ETag revalidation and gzip. */
export function serveAssets(server: Server, assets: Record<string, Asset>): void {
  for (const [path, a] of Object.entries(assets)) {
    const handler = async (req: Request, res: Response) => send(req, res, a);
    server.get(path, handler);
    server.head(path, handler);
  }
}
