/**
 * `npm run simulate -- [--personas N] [--seed S] [--lang zh-CN|zh-TW|en|all] [--json] [--out DIR] [--show INDEX]`
 * `npm run simulate -- --challenger FILE [--champion ID] [--personas N] [--seed S] [--lang …] [--json]`
 *
 * With `--challenger` the same seeded personas talk to the bot twice — every account of the
 * champion (default: the bundled policy with the challenger's id) on the champion, then on the
 * challenger — and the outcome table of the `/ops` dashboard is printed for both, with the
 * significance readout.
 *
 * Runs simulated cardholders against the real bot and writes report.json, report.md and
 * report.svg to DIR (default simulate/out). `--show INDEX` replays one persona and prints its
 * conversation. Exit 2: bad arguments; exit 1: a policy violation or a missed safety handoff.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readCli, usageError } from '../bot/cli/args.js';
import { ConfigError } from '../bot/config.js';
import { challengerEverywhere } from '../bot/experiments/config.js';
import type { Experiment } from '../bot/experiments/variant.js';
import { buildReport as buildOutcomeReport } from '../bot/operations/report.js';
import { renderText } from '../bot/operations/table.js';
import { InputError, loadPolicy } from '../policy/index.js';
import { LanguageChoice } from './personas.js';
import { progressBar } from './progress.js';
import { renderMarkdown, renderSvg, renderTable } from './render.js';
import { exitOnConfigError } from '../bot/config.js';
import { simulate } from './run.js';

const USAGE =
  'usage: npm run simulate -- [--personas N] [--seed S] [--lang zh-CN|zh-TW|en|all] [--json] [--out DIR] [--show INDEX] [--challenger FILE [--champion ID]]';

const Args = z.object({
  personas: z.coerce.number().int().min(1).max(100_000).default(200),
  seed: z.coerce.number().int().min(0).max(2 ** 31 - 1).default(1),
  lang: LanguageChoice.default('all'),
  json: z.boolean().default(false),
  out: z.string().min(1).default('simulate/out'),
  show: z.coerce.number().int().min(0).optional(),
  challenger: z.string().min(1).optional(),
  champion: z.string().min(1).optional(),
});

async function main(): Promise<void> {
  const args = readCli('simulate', USAGE, Args, {
    personas: { type: 'string' },
    seed: { type: 'string' },
    lang: { type: 'string' },
    json: { type: 'boolean' },
    out: { type: 'string' },
    show: { type: 'string' },
    challenger: { type: 'string' },
    champion: { type: 'string' },
  });
  if (args.challenger) return compare(args.challenger, args);
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

/** Both variants on the same personas, and the table the dashboard shows. */
async function compare(file: string, args: z.infer<typeof Args>): Promise<void> {
  let experiment: Experiment;
  try {
    const challengerId = loadPolicy(file).id;
    experiment = challengerEverywhere(file, args.champion ?? challengerId, (id) => loadPolicy(id));
  } catch (err) {
    if (!(err instanceof ConfigError) && !(err instanceof InputError)) throw err;
    return usageError('simulate', USAGE, err.message);
  }
  const options = { personas: args.personas, seed: args.seed, lang: args.lang };
  const champion = await simulate({ ...options, onProgress: progressBar('champion  ') });
  const challenger = await simulate({ ...options, experiment, onProgress: progressBar('challenger') });
  // The second run's champion conversations (other policies) repeat the first run's: counted once.
  const report = buildOutcomeReport([...champion.outcomes, ...challenger.outcomes.filter((o) => o.arm === 'challenger')]);
  const checks = [champion, challenger].map((r) => ({ violations: r.report.violations.count, missedSafetyHandoffs: r.report.handoff.missedSafety }));
  process.stdout.write(
    args.json
      ? `${JSON.stringify({ ...report, checks: { champion: checks[0], challenger: checks[1] } }, null, 2)}\n`
      : `${renderText(report, 'variant', 'en')}\n\npolicy violations: champion ${checks[0]!.violations}, challenger ${checks[1]!.violations}; missed safety handoffs: champion ${checks[0]!.missedSafetyHandoffs}, challenger ${checks[1]!.missedSafetyHandoffs}\n`,
  );
  if (checks.some((c) => c.violations > 0 || c.missedSafetyHandoffs > 0)) process.exitCode = 1;
}

// A bad variable (simulationEnv passes the environment through) exits 2 naming it, like npm start.
await exitOnConfigError('simulate', main);
