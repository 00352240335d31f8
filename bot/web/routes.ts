/**
 * The cardholder's chat page: static HTML/CSS/JS from `bot/web/static`, the botframework-webchat
 * bundle from the npm package (no CDN), and the page texts from the message catalogs (`web.*`).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Server } from 'restify';
import { registerPage } from '../http/pages.js';

function webChatBundle(): Buffer {
  const entry = createRequire(import.meta.url).resolve('botframework-webchat');
  return readFileSync(new URL('../dist/webchat.js', `file://${entry}`));
}

export function registerWebChat(server: Server): void {
  registerPage(server, {
    path: '/',
    dir: new URL('./static/', import.meta.url),
    files: ['app.js', 'style.css'],
    bundles: { 'webchat.js': webChatBundle() },
    texts: (key) => key.startsWith('web.'),
  });
}
