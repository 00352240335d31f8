import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { CorpusLine } from '../../bot/understanding/classifier/corpus.js';
import { CHECK_IN_BANDS, GRID, best, chosenBand, crossValidate, foldOf, formatCv, type CheckInRow } from '../../bot/understanding/classifier/cv.js';
import { SAFETY_SETTINGS } from '../../bot/understanding/classifier/safetyClassifier.js';
import { CLASSIFIER_SETTINGS } from '../../bot/understanding/classifier/intentClassifier.js';
import { THRESHOLDS } from '../../bot/understanding/hybrid.js';

// A tiny fixture corpus of made-up words the lexicon knows nothing of: only the classifier can tell
// the two intents apart, so a fold's lines are right only if the model trained on the other folds learned them.
const line = (text: string, label: CorpusLine['label'], lang: CorpusLine['lang']): CorpusLine => ({ text, label, lang, source: 'forbear' });
const FIXTURE: CorpusLine[] = [
  ...['zorb', 'zorb blip', 'blip zorb', 'zorb zorb', 'zorbing blip', 'a zorb'].map((t) => line(t, 'ask_due_date', 'en')),
  ...['quux', 'quux frob', 'frob quux', 'quux quux', 'quuxing frob', 'a quux'].map((t) => line(t, 'changed_phone', 'en')),
  ...['鑫焱', '鑫焱鑫', '焱鑫焱', '鑫鑫焱', '鑫焱焱', '焱焱鑫'].map((t) => line(t, 'ask_due_date', 'zh-CN')),
  ...['淼垚', '淼垚淼', '垚淼垚', '淼淼垚', '淼垚垚', '垚垚淼'].map((t) => line(t, 'changed_phone', 'zh-CN')),
  // One line of its class: its fold's model never saw it, so it must come out wrong.
  line('wibble', 'ask_documents', 'en'),
];
const SHIPPED = { classifier: CLASSIFIER_SETTINGS, thresholds: THRESHOLDS };

describe('cross-validation of the classifier settings (cv:understanding)', () => {
  it('searches a grid that holds the shipped setting', () => {
    expect(GRID.map((c) => JSON.stringify(c))).toContain(JSON.stringify(SHIPPED));
  });

  it('puts a text in the same fold every time, whatever else is in the corpus', () => {
    expect(foldOf('zorb', 5, 's')).toBe(foldOf(' ZORB ', 5, 's'));
    expect(new Set(FIXTURE.map((l) => foldOf(l.text, 3, 's'))).size).toBe(3);
  });

  it('scores each language on lines held back from the model that reads them', async () => {
    const grid = [SHIPPED, { ...SHIPPED, thresholds: { ...THRESHOLDS, sure: 1.01, leaning: 1.01 } }];
    const rows = await crossValidate(FIXTURE, { folds: 3, seed: 's', grid });
    expect(rows.map((r) => r.languages.map((l) => l.lang))).toEqual([['zh-CN', 'en'], ['zh-CN', 'en']]);
    // Learned from the other folds: the shipped thresholds take the classifier's reading, and the
    // class seen in no other fold is missed (en: its fold scores two classes of three, the others all).
    const [zh, en] = rows[0]!.languages;
    expect(zh!.macroAccuracy).toBe(1);
    expect(en!.macroAccuracy).toBeCloseTo((1 + 1 + 2 / 3) / 3, 5);
    expect(en!.worstFold).toBeCloseTo(2 / 3, 5);
    // …and thresholds nothing reaches leave every made-up line unknown.
    expect(rows[1]!.mean).toBe(0);
    expect(best(rows)).toBe(rows[0]);
    expect(formatCv(rows, 3, FIXTURE.length)).toContain('DEVELOPMENT figures');
    expect(await crossValidate(FIXTURE, { folds: 3, seed: 's', grid })).toEqual(rows);
  });

  it('chooses the check-in bands within 5 % check-ins in every language, by what the models alone catch, then by what is caught', () => {
    const row = (checkInMin: number, caught: number, modelsCaught: number, checkIns: number): CheckInRow => ({
      band: { checkInMin, safety: null },
      languages: [{ lang: 'en', positives: 100, raised: 80, caught, modelsCaught, negatives: 100, checkIns }],
    });
    const rows = [row(0.1, 99, 90, 6), row(0.2, 95, 70, 5), row(0.3, 97, 70, 4), row(0.4, 90, 60, 1)];
    expect(chosenBand(rows), 'over budget, however much it catches; then the most caught among equals').toBe(rows[2]);
    expect(chosenBand([row(0.1, 99, 90, 6)])).toBeNull();
    expect(CHECK_IN_BANDS, 'the shipped bands are among the candidates').toContainEqual({ checkInMin: THRESHOLDS.checkInMin, safety: { settings: SAFETY_SETTINGS, min: THRESHOLDS.safetyCheckInMin } });
  });

  it('exits 2 naming the flag for a bad fold count', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bot/understanding/classifier/cv.ts', '--folds', '1'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--folds');
  });
});
