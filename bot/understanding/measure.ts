/**
 * `npm run measure:understanding [-- --engine classifier|rules|llm | --llm] [--split test|train]
 * [--datasets DIR] [--json] [--concurrency N]`: per-intent precision/recall and the safety-class
 * confusion on the HELD-OUT parts, per language, and recall on the held-out safety sets (the list in heldout.ts). `--split train` is for
 * development: the same tables on train lines, with the misses listed. `--dev dev/FILE.yaml` reads
 * a development safety set (corpus/understanding/dev/) instead: recall, false alarms and the lines.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { readCli } from '../cli/args.js';
import { exitOnConfigError } from '../http/env.js';
import { IsoDate } from '../../policy/index.js';
import { ENGINE_FLAGS, EngineName, createUnderstanding, withEngineFlag } from './engine.js';
import { SAFETY_SETS_WITH_NEGATIVES, measureDevSafety, measureHeldOut, type DevSafetyReport, type HeldOutReport, type SafetySetKey } from './heldout.js';
import { llmRunSummary, withConcurrencyLimit } from './llm/llm.js';

export const DEFAULT_DATASETS = resolve(fileURLToPath(new URL('../../../shared/datasets', import.meta.url)));

const Options = z.object({
  datasets: z.string().default(DEFAULT_DATASETS),
  engine: EngineName.default('classifier'),
  split: z.enum(['test', 'train']).default('test'),
  /** A development safety set (dev/NAME.yaml under corpus/understanding/) instead of the corpus sets. */
  dev: z.string().optional(),
  /** Messages in flight at once; keeps a real LLM endpoint below its rate limit. */
  concurrency: z.coerce.number().int().min(1).max(64).default(4),
  today: IsoDate.default('2025-03-12'),
  json: z.boolean().default(false),
});

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
type SafetyRow = HeldOutReport['safety'][number];
const recalls = (rs: SafetyRow['heldOut']) =>
  rs.filter((h) => h.cases > 0).map((h) => `${h.signal} ${h.found}/${h.cases}`).join(', ');
/** "Caught": raised, or checked in about that class by the second stage (a yes hands off). */
const caught = (rs: SafetyRow['heldOut']) => {
  const cases = rs.reduce((n, h) => n + h.cases, 0);
  const n = rs.reduce((k, h) => k + h.caught, 0);
  return `caught (raised or checked in) ${n}/${cases}: ${rs.filter((h) => h.cases > 0).map((h) => `${h.signal} ${h.caught}/${h.cases}`).join(', ')}`;
};
/** A safety set with hard negatives: recall per class, then the negatives that raised a class anyway or got a check-in. */
const withNegatives = (name: string, s: SafetyRow['withNegatives'][SafetySetKey]) =>
  `  ${name}: ${recalls(s.recall)}; false positives on hard negatives ${s.falsePositives}/${s.negatives}\n` +
  `    ${caught(s.recall)}; check-ins on hard negatives ${s.checkIns}/${s.negatives}`;

export function formatReport(r: HeldOutReport): string {
  const out: string[] = [`engine: ${r.engine}; ${r.split === 'test' ? 'HELD-OUT parts' : 'TRAIN parts (development figures)'}`];
  for (const s of r.sets) {
    out.push('', `${s.name} (${s.lang}), ${s.lines} lines: accuracy ${pct(s.accuracy)}, macro accuracy ${pct(s.macroAccuracy)}`);
    out.push('| intent | support | predicted | precision | recall |', '|---|---:|---:|---:|---:|');
    for (const p of s.perIntent) out.push(`| ${p.intent} | ${p.support} | ${p.predicted} | ${pct(p.precision)} | ${pct(p.recall)} |`);
    for (const m of s.misses) out.push(`  miss: ${JSON.stringify(m.text)} want ${m.want} got ${m.got}`);
  }
  for (const s of r.safety) {
    out.push('', `safety (${s.lang}): rows = class carried, columns = first class acted on`);
    for (const [want, row] of Object.entries(s.confusion)) {
      out.push(`  ${want.padEnd(22)} ${Object.entries(row).map(([got, n]) => `${got}:${n}`).join('  ')}`);
    }
    if (r.split === 'test') {
      out.push(`  held-out safety set: ${recalls(s.heldOut)}`, `    ${caught(s.heldOut)}`);
      for (const { key, name } of SAFETY_SETS_WITH_NEGATIVES) out.push(withNegatives(name, s.withNegatives[key]));
    }
  }
  const t = r.targets;
  out.push(
    '',
    `targets: zh macro accuracy ${pct(t.zhMacroAccuracy)} (≥ 85%); en "wants a person" recall ${t.enRequestHumanRecall.toFixed(3)} (≥ 0.95), ` +
      `false positives ${pct(t.enRequestHumanFalsePositiveRate)} (≤ 2%); ` +
      (r.split === 'test'
        ? `held-out safety recall ${t.safetyHeldOutRecall.toFixed(3)} (1.0), caught ${t.safetyHeldOutCaught.toFixed(3)}; ` +
          SAFETY_SETS_WITH_NEGATIVES
            .map(({ key, name }) => {
              const x = t.sets[key];
              return `${name} recall ${x.recall.toFixed(3)} (1.0), caught ${x.caught.toFixed(3)}, ` +
                `false positives ${pct(x.falsePositiveRate)}, check-ins on hard negatives ${pct(x.checkInRate)}`;
            })
            .join('; ')
        : 'held-out safety sets not read on train runs'),
  );
  return out.join('\n');
}

export function formatDevReport(r: DevSafetyReport): string {
  const out = [`development safety set ${r.file} (development figures; its misses are listed)`];
  for (const { lang, score } of r.perLanguage) {
    const found = score.recall.reduce((n, h) => n + h.found, 0);
    const cases = score.recall.reduce((n, h) => n + h.cases, 0);
    out.push(`  ${lang}: recall ${found}/${cases} (${recalls(score.recall)}); hard negatives raising a safety class ${score.falsePositives}/${score.negatives}`);
    out.push(`    ${caught(score.recall)}; check-ins on hard negatives ${score.checkIns}/${score.negatives}`);
  }
  for (const m of r.misses) {
    const kind = m.want.length > 0 ? (m.want.every((s) => m.acted.includes(s) || s === m.checkIn) ? 'checked in' : 'miss') : m.acted.length > 0 ? 'false alarm' : 'check-in';
    out.push(`  ${kind} (${m.lang}): ${JSON.stringify(m.text)} want [${m.want.join(', ')}] acted [${m.acted.join(', ')}]${m.checkIn ? ` check-in ${m.checkIn}` : ''}`);
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const o = readCli(
    'measure',
    'usage: npm run -s measure:understanding -- [--engine classifier|rules|llm | --llm] [--split test|train | --dev dev/FILE.yaml] [--datasets DIR] [--concurrency N] [--today YYYY-MM-DD] [--json]',
    Options,
    {
      datasets: { type: 'string' },
      ...ENGINE_FLAGS,
      split: { type: 'string' },
      dev: { type: 'string' },
      concurrency: { type: 'string' },
      today: { type: 'string' },
      json: { type: 'boolean' },
    },
    withEngineFlag,
  );
  if (o.dev !== undefined) {
    const understanding = await exitOnConfigError('measure', () => createUnderstanding(o.engine));
    const report = await measureDevSafety(understanding, o.dev, o.today);
    process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDevReport(report)}\n`);
    return;
  }
  const datasets = existsSync(o.datasets) ? o.datasets : null;
  if (datasets === null) process.stderr.write(`measure: ${o.datasets} not found; measuring Forbear's own held-out sets only\n`);
  const understanding = withConcurrencyLimit(await exitOnConfigError('measure', () => createUnderstanding(o.engine)), o.concurrency);
  const report = await measureHeldOut(understanding, { datasets, today: o.today, split: o.split });
  process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
  if (o.engine === 'llm') process.stderr.write(`llm: ${await llmRunSummary()}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
