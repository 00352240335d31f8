/**
 * The shipped classifier: the committed model when it was built from the current corpus; trained
 * in-process (a few seconds, deterministic) when someone edited the corpus without retraining, so
 * `npm start` never runs on a stale model. Loaded once per process.
 */
import { existsSync, readFileSync } from 'node:fs';
import { trainingLines } from './corpus.js';
import { IntentClassifier, corpusHash } from './intentClassifier.js';

export const MODEL_URL = new URL('./model.json', import.meta.url);

let shipped: Promise<IntentClassifier> | undefined;

async function load(): Promise<IntentClassifier> {
  const lines = trainingLines();
  if (existsSync(MODEL_URL)) {
    const committed = await IntentClassifier.fromJSON(readFileSync(MODEL_URL, 'utf8'));
    if (committed.corpus === corpusHash(lines)) return committed;
  }
  return IntentClassifier.train(lines);
}

export function shippedClassifier(): Promise<IntentClassifier> {
  shipped ??= load();
  return shipped;
}
