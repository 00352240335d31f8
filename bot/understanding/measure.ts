/**
 * `npm run measure:understanding [-- --datasets DIR] [--json] [--llm [--concurrency N]]`: scores understanding on the shared
 * datasets, which live beside the repository (../shared/datasets) and are never copied into it.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { readCli } from '../cli/args.js';
import { IsoDate } from '../../policy/index.js';
import { measure, type MeasureReport } from './datasets.js';
import { EngineName, createUnderstanding } from './engine.js';
import { llmRunSummary, withConcurrencyLimit } from './llm/llm.js';

export const DEFAULT_DATASETS = resolve(fileURLToPath(new URL('../../../shared/datasets', import.meta.url)));

const Options = z.object({
  datasets: z.string().default(DEFAULT_DATASETS).refine(existsSync, 'folder does not exist'),
  engine: EngineName.default('rules'),
  /** Messages in flight at once; keeps a real LLM endpoint below its rate limit. */
  concurrency: z.coerce.number().int().min(1).max(64).default(4),
  today: IsoDate.default('2025-03-12'),
  json: z.boolean().default(false),
});

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function formatReport(r: MeasureReport): string {
  const lines = [
    `NLU++ banking (en), ${r.nlupp.utterances} utterances, one label against one intent:`,
    '| NLU++ label | our intent | support | precision | recall | F1 |',
    '|---|---|---:|---:|---:|---:|',
    ...r.nlupp.scores.map((s) => `| ${s.label} | ${s.ours} | ${s.support} | ${pct(s.precision)} | ${pct(s.recall)} | ${pct(s.f1)} |`),
    '',
    `Chinese collection intents, ${r.zhCollection.mapped} of ${r.zhCollection.utterances} utterances mapped ` +
      `(unmapped labels: ${r.zhCollection.unmappedLabels.join(', ')}):`,
    '| their intent | our intent(s) | n | accuracy (first) | accuracy (accepted) |',
    '|---|---|---:|---:|---:|',
    ...r.zhCollection.perIntent.map((p) => `| ${p.label} | ${p.mappedTo.join(' / ')} | ${p.support} | ${pct(p.primary)} | ${pct(p.accepted)} |`),
    `| **all mapped** | | ${r.zhCollection.mapped} | ${pct(r.zhCollection.overallPrimary)} | ${pct(r.zhCollection.overallAccepted)} |`,
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const o = readCli(
    'measure',
    'usage: npm run -s measure:understanding -- [--datasets DIR] [--engine rules|llm | --llm] [--concurrency N] [--today YYYY-MM-DD] [--json]',
    Options,
    {
      datasets: { type: 'string' },
      engine: { type: 'string' },
      llm: { type: 'boolean' },
      concurrency: { type: 'string' },
      today: { type: 'string' },
      json: { type: 'boolean' },
    },
    ({ llm, ...rest }) => ({ ...rest, engine: llm ? 'llm' : rest['engine'] }),
  );
  const report = await measure(withConcurrencyLimit(createUnderstanding(o.engine), o.concurrency), o.datasets, o.today);
  process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
  if (o.engine === 'llm') process.stderr.write(`llm: ${await llmRunSummary()}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
