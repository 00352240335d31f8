import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CORPUS_DIR, loadOwnCorpus, ownTestLines, sharedLines, trainingLines } from '../../bot/understanding/classifier/corpus.js';
import { isHeldOut } from '../../bot/understanding/classifier/split.js';
import { parseRasaMarkdown } from '../../bot/understanding/datasets.js';
import { DEV_SAFETY_FILE, SAFETY_SET, SAFETY_SETS_WITH_NEGATIVES, loadSafetySet, measureHeldOut, type SafetySetKey } from '../../bot/understanding/heldout.js';
import { ClassifierUnderstanding } from '../../bot/understanding/hybrid.js';
import { DEFAULT_DATASETS, formatReport } from '../../bot/understanding/measure.js';

/** The held-out safety sets with hard negatives, in the order they were written. */
const WITH_NEGATIVES = SAFETY_SETS_WITH_NEGATIVES.map((s) => s.file);
/** One set's file, for the checks that concern that set alone. */
const fileOf = (key: SafetySetKey) => SAFETY_SETS_WITH_NEGATIVES.find((s) => s.key === key)!.file;

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

  // The list is what the report, the targets and the checks below read: a held-out file it misses
  // would be neither measured nor kept out of training by them.
  it('lists every held-out safety set once, each with its file', () => {
    const onDisk = readdirSync(new URL('heldout/', CORPUS_DIR)).filter((f) => f.endsWith('.yaml')).map((f) => `heldout/${f}`);
    expect([SAFETY_SET, ...WITH_NEGATIVES].sort()).toEqual(onDisk.sort());
    for (const field of ['key', 'name', 'file'] as const) expect(new Set(SAFETY_SETS_WITH_NEGATIVES.map((s) => s[field])).size, field).toBe(SAFETY_SETS_WITH_NEGATIVES.length);
  });

  it('never trains on the held-out safety set', () => {
    const corpus = new Set([...loadOwnCorpus(), ...trainingLines()].map((l) => l.text.trim().toLowerCase()));
    // A count, not the lines: a failure must not print held-out text.
    for (const file of [SAFETY_SET, ...WITH_NEGATIVES]) expect(loadSafetySet(file).filter((c) => corpus.has(c.text.trim().toLowerCase())).length, file).toBe(0);
  });

  it('has a blind safety set that covers every class it is measured on, in every language, with hard negatives', () => {
    // Counts only, so a failure prints no held-out line. (Parsing checks every case's schema.)
    const blind = loadSafetySet(fileOf('blind'));
    expect(blind.length).toBeGreaterThanOrEqual(300);
    const earlier = new Set([...loadSafetySet(), ...loadSafetySet(fileOf('independent'))].map((c) => c.text.trim().toLowerCase()));
    expect(new Set(blind.map((c) => c.text.trim().toLowerCase())).size).toBe(blind.length);
    expect(blind.filter((c) => earlier.has(c.text.trim().toLowerCase())).length).toBe(0);
    const classes = ['self_harm', 'bereavement', 'dispute', 'third_party', 'legal_representation', 'addiction', 'bankruptcy'] as const;
    for (const lang of ['zh-CN', 'zh-TW', 'en'] as const) {
      const mine = blind.filter((c) => c.lang === lang);
      for (const signal of classes) expect(mine.filter((c) => c.signals.includes(signal)).length, `${lang} ${signal}`).toBeGreaterThanOrEqual(8);
      expect(mine.filter((c) => c.signals.length === 0).length, `${lang} hard negatives`).toBeGreaterThanOrEqual(25);
    }
  });

  const DEV_SET_F = 'dev/safety-dev-f.yaml';
  const DEV_SET_G = 'dev/safety-dev-g.yaml';
  const DEV_SET_H = 'dev/safety-dev-h.yaml';
  const DEV_SET_I = 'dev/safety-dev-i.yaml';
  /** Lines per class and language (`none`: hard negatives): issue 12's shape, which blind-4 to blind-8 follow. */
  const ISSUE_12_SHAPE = { self_harm: 15, bereavement: 15, dispute: 15, third_party: 15, legal_representation: 15, none: 30 };
  type Shape = typeof ISSUE_12_SHAPE;
  /**
   * Blind-9's shape (session 8), which weighs self-harm more, the class whose miss costs most; every
   * held-out set listed after it (blind-10 to blind-16 in sessions 9 to 11) and the development sets
   * F (session 8), G (session 9), H (session 10) and I (session 11) were written to the same weights, so their
   * figures compare. A set added to the list is held to it too.
   */
  const SELF_HARM_WEIGHTED: Shape = { self_harm: 20, bereavement: 12, dispute: 15, third_party: 12, legal_representation: 12, none: 30 };
  /** Sets of another shape than issue 12's. */
  const SHAPES: Record<string, Shape> = Object.fromEntries(
    [...WITH_NEGATIVES.slice(WITH_NEGATIVES.indexOf(fileOf('blind9'))), DEV_SET_F, DEV_SET_G, DEV_SET_H, DEV_SET_I].map((file) => [file, SELF_HARM_WEIGHTED]),
  );

  /**
   * A blind set of a given shape (issue 12's unless SHAPES says otherwise): its lines per class and
   * language for the five handoff classes and its hard negatives per language, one class per line,
   * no line twice nor in `earlier`. Counts only, so a failure prints no held-out line. (Parsing
   * checks every case's schema.)
   */
  function expectBlindShape(file: string, earlierFiles: readonly string[], alsoEarlier: readonly { text: string }[] = []) {
    const shape = SHAPES[file] ?? ISSUE_12_SHAPE;
    const cases = loadSafetySet(file);
    const key = (c: { text: string }) => c.text.trim().toLowerCase();
    expect(new Set(cases.map(key)).size).toBe(cases.length);
    const earlier = new Set([...earlierFiles.flatMap((f) => loadSafetySet(f)), ...alsoEarlier].map(key));
    expect(cases.filter((c) => earlier.has(key(c))).length).toBe(0);
    const classes = ['self_harm', 'bereavement', 'dispute', 'third_party', 'legal_representation'] as const;
    expect(cases.filter((c) => c.signals.length > 1 || c.signals.some((s) => !(classes as readonly string[]).includes(s))).length).toBe(0);
    for (const lang of ['zh-CN', 'zh-TW', 'en'] as const) {
      const mine = cases.filter((c) => c.lang === lang);
      for (const signal of classes) expect(mine.filter((c) => c.signals.includes(signal)).length, `${lang} ${signal}`).toBe(shape[signal]);
      expect(mine.filter((c) => c.signals.length === 0).length, `${lang} hard negatives`).toBe(shape.none);
    }
    expect(cases.length).toBe(3 * Object.values(shape).reduce((a, b) => a + b, 0));
  }

  it('has a fourth blind safety set: 15 lines per class and language for the five handoff classes of issue 12, 30 hard negatives per language', () => {
    expectBlindShape(fileOf('blind4'), [SAFETY_SET, fileOf('independent'), fileOf('blind')]);
  });

  // Blind-5 onwards: each shares no line with the corpus, the development sets or any set before it.
  it.each(WITH_NEGATIVES.slice(WITH_NEGATIVES.indexOf(fileOf('blind5'))))(
    'has %s in its shape (issue 12 shape unless SHAPES names it), sharing no line with the corpus, the development sets or an earlier held-out set',
    (file) => {
      const development = readdirSync(new URL('dev/', CORPUS_DIR)).map((f) => `dev/${f}`).filter((f) => DEV_SAFETY_FILE.test(f));
      expect(development.length).toBeGreaterThan(0);
      const earlier = [SAFETY_SET, ...WITH_NEGATIVES.slice(0, WITH_NEGATIVES.indexOf(file)), ...development];
      expectBlindShape(file, earlier, [...loadOwnCorpus(), ...trainingLines()]);
    },
  );

  // Development sets F (session 8), G (session 9), H (session 10) and I (session 11) are tuned on by someone who
  // never wrote them: each must be new text to the corpus, the other development sets and every
  // held-out set (checked by count, as above).
  it.each([DEV_SET_F, DEV_SET_G, DEV_SET_H, DEV_SET_I])('has development set %s in its shape, sharing no line with the corpus, another development set or a held-out set', (file) => {
    const otherDevelopment = readdirSync(new URL('dev/', CORPUS_DIR)).map((f) => `dev/${f}`).filter((f) => DEV_SAFETY_FILE.test(f) && f !== file);
    expect(otherDevelopment.length).toBeGreaterThan(0);
    expectBlindShape(file, [SAFETY_SET, ...WITH_NEGATIVES, ...otherDevelopment], [...loadOwnCorpus(), ...trainingLines()]);
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
    // Every safety set with hard negatives is measured in every language, its hard negatives too,
    // and the printed report holds its counts but none of its lines.
    const printed = formatReport(report);
    const total = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
    for (const s of report.safety) expect(Object.keys(s.withNegatives)).toEqual(SAFETY_SETS_WITH_NEGATIVES.map((x) => x.key));
    for (const { key, name, file } of SAFETY_SETS_WITH_NEGATIVES) {
      const cases = loadSafetySet(file);
      for (const s of report.safety) {
        const mine = cases.filter((c) => c.lang === s.lang);
        expect(s.withNegatives[key].recall.reduce((n, r) => n + r.cases, 0)).toBe(mine.reduce((n, c) => n + c.signals.length, 0));
        expect(s.withNegatives[key].negatives).toBe(mine.filter((c) => c.signals.length === 0).length);
        expect(s.withNegatives[key].negatives).toBeGreaterThanOrEqual(10);
      }
      expect(printed.match(new RegExp(`${name}: `, 'g'))).toHaveLength(3);
      expect(printed).toContain(`${name} recall `);
      expect(cases.filter((c) => printed.includes(c.text)).length).toBe(0);
      // The targets line sums each set over the languages. Compared as booleans, so a failure
      // prints no held-out figure.
      const scores = report.safety.map((s) => s.withNegatives[key]);
      const rows = scores.flatMap((b) => b.recall);
      expect(report.targets.sets[key].recall === total(rows.map((r) => r.found)) / total(rows.map((r) => r.cases)), key).toBe(true);
      expect(report.targets.sets[key].falsePositiveRate === total(scores.map((b) => b.falsePositives)) / total(scores.map((b) => b.negatives)), key).toBe(true);
    }
    // A floor against regressions, well below what the README reports.
    expect(report.targets.enRequestHumanRecall).toBeGreaterThanOrEqual(0.9);
  });

  it('never reads the held-out safety sets on a development (train) run', async () => {
    const report = await measureHeldOut(new ClassifierUnderstanding(), { datasets: DEFAULT_DATASETS, today: '2025-03-12', split: 'train' });
    expect(report.safety.flatMap((s) => [...s.heldOut, ...Object.values(s.withNegatives).flatMap((x) => x.recall)])).toEqual([]);
    expect(report.safety.every((s) => Object.values(s.withNegatives).every((x) => x.negatives === 0))).toBe(true);
    const printed = formatReport(report);
    for (const name of ['held-out safety set:', ...SAFETY_SETS_WITH_NEGATIVES.map((s) => s.name)]) expect(printed).not.toContain(name);
  });
});
