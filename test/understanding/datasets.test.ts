import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { binaryScore, measure, parseRasaMarkdown } from '../../bot/understanding/datasets.js';
import { DEFAULT_DATASETS } from '../../bot/understanding/measure.js';
import { RuleUnderstanding } from '../../bot/understanding/rules.js';

describe('dataset readers and scores', () => {
  it('parses Rasa markdown intents, dropping crawl noise', () => {
    expect(parseRasaMarkdown('## intent:inform_busy\n- 现在忙\n- 现在没空"\n\n## out_of_scope\n- 好听1039\n')).toEqual([
      { label: 'inform_busy', text: '现在忙' },
      { label: 'inform_busy', text: '现在没空' },
      { label: 'out_of_scope', text: '好听' },
    ]);
  });

  it('computes precision, recall and F1', () => {
    const s = binaryScore('x', 'y', [
      { actual: true, predicted: true },
      { actual: true, predicted: false },
      { actual: false, predicted: true },
      { actual: false, predicted: false },
    ]);
    expect(s).toMatchObject({ tp: 1, fp: 1, fn: 1, support: 2, precision: 0.5, recall: 0.5, f1: 0.5 });
  });
});

// The shared datasets sit beside the clone (../shared/datasets); CI always has them.
const present = existsSync(DEFAULT_DATASETS);
if (!present) console.warn(`SKIPPED shared-dataset figures: ${DEFAULT_DATASETS} does not exist`);

describe.skipIf(!present)('figures on the shared datasets', async () => {
  const report = present ? await measure(new RuleUnderstanding(), DEFAULT_DATASETS, '2025-03-12') : null;
  const score = (label: string) => report!.nlupp.scores.find((s) => s.label === label)!;

  it('reads all of NLU++ banking folds 0-9 and the zh collection file', () => {
    expect(report!.nlupp.utterances).toBeGreaterThan(1000);
    expect(report!.zhCollection.utterances).toBeGreaterThan(100);
  });

  it('finds requests for a human with recall 1.0 (safety first) and good precision', () => {
    expect(score('handoff').recall).toBe(1);
    expect(score('handoff').precision).toBeGreaterThanOrEqual(0.9);
  });

  it('reads affirm and deny', () => {
    expect(score('affirm').f1).toBeGreaterThanOrEqual(0.8);
    expect(score('deny').f1).toBeGreaterThanOrEqual(0.8);
  });

  it('reads the Chinese collection intents', () => {
    expect(report!.zhCollection.overallAccepted).toBeGreaterThanOrEqual(0.95);
    expect(report!.zhCollection.overallPrimary).toBeGreaterThanOrEqual(0.9);
  });
});
