/**
 * `npm run chat`: talk to the real bot in a terminal. `--json` turns it into a machine interface:
 * cardholder lines on stdin, one JSON object per bot message or event on stdout.
 */
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { readCli } from './cli/args.js';
import type { Activity } from 'botbuilder';
import { createForbear } from './app.js';
import { LocalAdapter } from './channels/local.js';
import { exitOnConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { Language } from '../conversation/language.js';

const USAGE = 'usage: npm run chat -- [--lang zh-CN|zh-TW|en] [--account <demo id>] [--json] [--conversation ID]';

const Args = z.object({
  lang: Language.default('zh-CN'),
  account: z.string().min(1).optional(),
  json: z.boolean().default(false),
  conversation: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default(`chat-${process.pid}`),
});

function print(activities: Partial<Activity>[], json: boolean): void {
  for (const a of activities) {
    if (json) {
      if (a.type === 'message') process.stdout.write(`${JSON.stringify({ type: 'message', text: a.text ?? '' })}\n`);
      if (a.type === 'event') process.stdout.write(`${JSON.stringify({ type: 'event', name: a.name, value: a.value })}\n`);
      continue;
    }
    if (a.type !== 'message') continue;
    process.stdout.write(`\n🤖 ${a.text ?? ''}\n`);
    const actions = a.suggestedActions?.actions ?? [];
    if (actions.length > 0) process.stdout.write(`   [${actions.map((x) => x.title).join('] [')}]\n`);
  }
}

async function main(): Promise<void> {
  const args = readCli('chat', USAGE, Args, {
    lang: { type: 'string' },
    account: { type: 'string' },
    json: { type: 'boolean' },
    conversation: { type: 'string' },
  });
  const config = await exitOnConfigError('chat', () => loadConfig());
  // Logs go to stderr so the conversation (or its JSON) is all that stdout carries.
  const logger = createLogger(args.json ? 'warn' : config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL, process.stderr);
  const forbear = await createForbear({ config, logger });
  const adapter = new LocalAdapter(forbear.bot, 'terminal');
  adapter.use(forbear.transcriptMiddleware);
  const channelData = args.account ? { accountRef: args.account } : undefined;
  const message = { locale: args.lang, channelData };

  print(await adapter.join(args.conversation, message), args.json);
  const lines = createInterface({ input: process.stdin, terminal: !args.json && process.stdin.isTTY });
  if (!args.json) process.stdout.write('> ');
  for await (const line of lines) {
    const text = line.trim();
    if (text.length > 0) print(await adapter.send(args.conversation, { ...message, text }), args.json);
    if (!args.json) process.stdout.write('> ');
  }
  await forbear.close();
}

await main();
