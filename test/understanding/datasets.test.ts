import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadOwnCorpus, ownTestLines, sharedLines, trainingLines } from '../../bot/understanding/classifier/corpus.js';
import { isHeldOut } from '../../bot/understanding/classifier/split.js';
import { parseRasaMarkdown } from '../../bot/understanding/datasets.js';
import { INDEPENDENT_SAFETY_SET, loadSafetySet, measureHeldOut } from '../../bot/understanding/heldout.js';
import { ClassifierUnderstanding } from '../../bot/understanding/hybrid.js';
import { DEFAULT_DATASETS, formatReport } from '../../bot/understanding/measure.js';

describe('dataset readers', () => {
  it('parses Rasa markdown intents, dropping crawl noise', () => {
    expect(parseRasaMarkdown('## intent:inform_busy\n- 现在忙\n- 现在没空"\n\n## out_of_scope\n- 好听1039\n')).toEqual([
      { label: 'inform_busy', text: '现在忙' },
      { label: 'inform_busy', text: '现在没空' },
      { label: 'out_of_scope', text: '好听' },
    ]);
  });
});

describe('the train/test split', () => {
  it('is deterministic and keeps every test line out of training', () => {
    expect(isHeldOut('forbear', '转人工')).toBe(isHeldOut('forbear', '转人工'));
    const train = new Set(trainingLines().map((l) => l.text.trim().toLowerCase()));
    const test = ownTestLines();
    expect(test.length).toBeGreaterThan(150);
    expect(test.filter((l) => train.has(l.text.trim().toLowerCase()))).toEqual([]);
  });

  it('never trains on the held-out safety set', () => {
    const corpus = new Set([...loadOwnCorpus(), ...trainingLines()].map((l) => l.text.trim().toLowerCase()));
    // A count, not the lines: a failure must not print held-out text.
    expect(loadSafetySet().filter((c) => corpus.has(c.text.trim().toLowerCase())).length).toBe(0);
    expect(loadSafetySet(INDEPENDENT_SAFETY_SET).filter((c) => corpus.has(c.text.trim().toLowerCase())).length).toBe(0);
  });
});

// The shared datasets sit beside the clone (../shared/datasets); CI always has them. Without them
// these checks fail, naming the folder, instead of passing by being skipped.
describe('the shared datasets', () => {
  it(`are in ${DEFAULT_DATASETS}`, () => {
    expect(existsSync(DEFAULT_DATASETS), `the shared datasets (NLU++ banking, zh collection intents) are missing: put them in ${DEFAULT_DATASETS}`).toBe(true);
  });

  it('copies only their train parts into the corpus', () => {
    const test = new Set(sharedLines(DEFAULT_DATASETS, 'test').map((l) => l.text));
    const copied = trainingLines().filter((l) => l.source !== 'forbear');
    expect(copied.length).toBeGreaterThan(500);
    expect(copied.filter((l) => test.has(l.text))).toEqual([]);
    expect(copied.length).toBe(sharedLines(DEFAULT_DATASETS, 'train').length);
  });

  it('measures the held-out parts without listing a single test line', async () => {
    const report = await measureHeldOut(new ClassifierUnderstanding(), { datasets: DEFAULT_DATASETS, today: '2025-03-12', split: 'test' });
    expect(report.sets.map((s) => s.name)).toEqual(expect.arrayContaining(['NLU++ banking test', 'zh collection test']));
    expect(report.sets.every((s) => s.misses.length === 0)).toBe(true);
    expect(report.safety.map((s) => s.lang)).toEqual(['zh-CN', 'zh-TW', 'en']);
    // The independent safety set is measured in every language, its hard negatives too, and the
    // printed report holds its counts but none of its lines.
    const independent = loadSafetySet(INDEPENDENT_SAFETY_SET);
    for (const s of report.safety) {
      const mine = independent.filter((c) => c.lang === s.lang);
      expect(s.independent.recall.reduce((n, r) => n + r.cases, 0)).toBe(mine.reduce((n, c) => n + c.signals.length, 0));
      expect(s.independent.negatives).toBe(mine.filter((c) => c.signals.length === 0).length);
      expect(s.independent.negatives).toBeGreaterThanOrEqual(10);
    }
    const printed = formatReport(report);
    expect(printed.match(/independent safety set: /g)).toHaveLength(3);
    expect(independent.filter((c) => printed.includes(c.text)).length).toBe(0);
    // A floor against regressions, well below what the README reports.
    expect(report.targets.enRequestHumanRecall).toBeGreaterThanOrEqual(0.9);
  });

  it('never reads the held-out safety sets on a development (train) run', async () => {
    const report = await measureHeldOut(new ClassifierUnderstanding(), { datasets: DEFAULT_DATASETS, today: '2025-03-12', split: 'train' });
    expect(report.safety.flatMap((s) => [...s.heldOut, ...s.independent.recall])).toEqual([]);
    expect(report.safety.every((s) => s.independent.negatives === 0)).toBe(true);
    expect(formatReport(report)).not.toMatch(/held-out safety set:|independent safety set:/);
  });
});
