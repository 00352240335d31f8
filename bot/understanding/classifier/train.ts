/**
 * `npm run train:understanding [-- --import-shared [--datasets DIR]]`: trains the classifier on the
 * corpus's train part and writes the committed models (`model.json`, and the safety-only
 * `safety-model.json`). `--import-shared` first
 * copies the train parts of the shared datasets into `corpus/understanding/external/`.
 * It also writes the LLM prompt's labelled lines (prompts/understanding/v1/corpus-shots.yaml), drawn
 * from the same train part. Deterministic: the same corpus always writes the same files.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { readCli } from '../../cli/args.js';
import { importSharedTrain, promptShots, trainingLines } from './corpus.js';
import { IntentClassifier } from './intentClassifier.js';
import { MODEL_URL, SAFETY_MODEL_URL, SHOTS_URL, safetySourcesHash, shotsFile, sourcesHash } from './model.js';
import { SafetyClassifier } from './safetyClassifier.js';

const DEFAULT_DATASETS = resolve(fileURLToPath(new URL('../../../../shared/datasets', import.meta.url)));

const Options = z
  .object({ importShared: z.boolean().default(false), datasets: z.string().default(DEFAULT_DATASETS) })
  .refine((o) => !o.importShared || existsSync(o.datasets), { message: 'folder does not exist', path: ['datasets'] });

async function main(): Promise<void> {
  const o = readCli(
    'train',
    'usage: npm run -s train:understanding -- [--import-shared] [--datasets DIR]',
    Options,
    { 'import-shared': { type: 'boolean' }, datasets: { type: 'string' } },
    ({ 'import-shared': importShared, ...rest }) => ({ ...rest, importShared }),
  );
  if (o.importShared) process.stdout.write(`imported train parts: ${JSON.stringify(importSharedTrain(o.datasets))}\n`);
  const lines = trainingLines();
  const started = Date.now();
  const classifier = await IntentClassifier.train(lines, sourcesHash());
  writeFileSync(MODEL_URL, `${classifier.toJSON()}\n`);
  writeFileSync(SHOTS_URL, shotsFile(promptShots(lines)));
  process.stdout.write(`trained on ${lines.length} lines in ${Date.now() - started} ms → ${fileURLToPath(MODEL_URL)} (corpus ${classifier.corpus})\n`);
  const safetyStarted = Date.now();
  const safety = await SafetyClassifier.train(lines, safetySourcesHash());
  writeFileSync(SAFETY_MODEL_URL, `${safety.toJSON()}\n`);
  process.stdout.write(`safety-only model in ${Date.now() - safetyStarted} ms → ${fileURLToPath(SAFETY_MODEL_URL)} (corpus ${safety.corpus})\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
