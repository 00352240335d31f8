/**
 * `npm run simulate -- [--personas N] [--seed S] [--lang zh-CN|zh-TW|en|all] [--json] [--out DIR] [--show INDEX]`
 *
 * Runs simulated cardholders against the real bot and writes report.json, report.md and
 * report.svg to DIR (default simulate/out). `--show INDEX` replays one persona and prints its
 * conversation. Exit 2: bad arguments; exit 1: a policy violation or a missed safety handoff.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readCli } from '../bot/cli/args.js';
import { LanguageChoice } from './personas.js';
import { progressBar } from './progress.js';
import { renderMarkdown, renderSvg, renderTable } from './render.js';
import { simulate } from './run.js';

const USAGE = 'usage: npm run simulate -- [--personas N] [--seed S] [--lang zh-CN|zh-TW|en|all] [--json] [--out DIR] [--show INDEX]';

const Args = z.object({
  personas: z.coerce.number().int().min(1).max(100_000).default(200),
  seed: z.coerce.number().int().min(0).max(2 ** 31 - 1).default(1),
  lang: LanguageChoice.default('all'),
  json: z.boolean().default(false),
  out: z.string().min(1).default('simulate/out'),
  show: z.coerce.number().int().min(0).optional(),
});

async function main(): Promise<void> {
  const args = readCli('simulate', USAGE, Args, {
    personas: { type: 'string' },
    seed: { type: 'string' },
    lang: { type: 'string' },
    json: { type: 'boolean' },
    out: { type: 'string' },
    show: { type: 'string' },
  });
  if (args.show !== undefined) {
    const run = await simulate({ personas: args.show + 1, seed: args.seed, lang: args.lang, only: args.show });
    const c = run.conversations[0]!;
    process.stdout.write(`${JSON.stringify({ persona: c.persona, outcome: c.outcome, agreement: c.agreement?.offer.offerId ?? null, handoff: c.handoff }, null, 2)}\n\n`);
    for (const line of c.transcript) process.stdout.write(`${line.from === 'bot' ? '🤖' : '🙂'} ${line.text}\n`);
    return;
  }
  const run = await simulate({ personas: args.personas, seed: args.seed, lang: args.lang, onProgress: progressBar('simulating') });
  mkdirSync(args.out, { recursive: true });
  writeFileSync(join(args.out, 'report.json'), `${JSON.stringify({ ...run.report, elapsedMs: run.elapsedMs }, null, 2)}\n`);
  writeFileSync(join(args.out, 'report.md'), renderMarkdown(run.report, run.elapsedMs));
  writeFileSync(join(args.out, 'report.svg'), renderSvg(run.report));
  process.stdout.write(args.json ? `${JSON.stringify({ ...run.report, elapsedMs: run.elapsedMs }, null, 2)}\n` : `${renderTable(run.report, run.elapsedMs)}\n\nwritten to ${args.out}/\n`);
  if (run.report.violations.count > 0 || run.report.handoff.missedSafety > 0) process.exitCode = 1;
}

await main();
