/**
 * `npm run -s cv:understanding [-- --folds 5] [--seed S] [--json]`: k-fold cross-validation on the
 * TRAIN part only (trainingLines(): no line of any test part, no held-out safety set), over a small
 * grid of the classifier's settings (learning rate, Chinese bigrams) and of the thresholds with which
 * the hybrid takes its reading (`sure`, `leaning`). Each fold's model is trained on the other folds;
 * its held-back lines are read by the whole hybrid (rules + classifier), as the product reads them.
 * Prints, per candidate and language, the mean over folds of the macro accuracy (mean per-intent
 * recall) on intent lines, and the recall of `signal.*` lines. These are development figures: the
 * lexicon was written with the train lines in view. Deterministic: folds are a seeded hash of the
 * text (duplicates share a fold) and training is deterministic.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { readCli } from '../../cli/args.js';
import { Language } from '../../../conversation/language.js';
import type { Signal } from '../../../policy/index.js';
import { CheckInClass, type Intent, type UnderstandingContext, type UnderstandingResult } from '../../../conversation/understanding.js';
import { THRESHOLDS, combine, type Thresholds } from '../hybrid.js';
import { signalsActedOn } from '../heldout.js';
import { loadLexicon, type Lexicon } from '../lexicon.js';
import { understandText } from '../rules.js';
import { labelIntent, trainingLines, type CorpusLine } from './corpus.js';
import { CLASSIFIER_SETTINGS, IntentClassifier, type ClassifierSettings } from './intentClassifier.js';

export interface Candidate {
  readonly classifier: ClassifierSettings;
  readonly thresholds: Thresholds;
}

const THRESHOLD_GRID: readonly Pick<Thresholds, 'sure' | 'leaning'>[] = [
  { sure: 0.5, leaning: 0.3 },
  { sure: 0.5, leaning: 0.4 },
  { sure: 0.6, leaning: 0.3 },
  { sure: 0.6, leaning: 0.4 },
  { sure: 0.7, leaning: 0.4 },
  { sure: 0.7, leaning: 0.5 },
  { sure: 0.8, leaning: 0.4 },
  { sure: 0.8, leaning: 0.5 },
  { sure: 0.9, leaning: 0.4 },
];

/** The grid searched: every classifier setting with every threshold pair (the shipped ones included). */
export const GRID: readonly Candidate[] = [0.15, 0.3, 0.6].flatMap((learningRate) =>
  [true, false].flatMap((zhBigrams) =>
    THRESHOLD_GRID.map((t) => ({ classifier: { learningRate, zhBigrams }, thresholds: { ...THRESHOLDS, ...t } })),
  ),
);

export const candidateName = (c: Candidate): string =>
  `lr ${c.classifier.learningRate}, zh ${c.classifier.zhBigrams ? 'uni+bigrams' : 'unigrams'}, sure ${c.thresholds.sure}, leaning ${c.thresholds.leaning}`;

export const foldOf = (text: string, folds: number, seed: string): number =>
  createHash('sha256').update(`${seed}\0${text.trim().toLowerCase()}`).digest().readUInt32BE(0) % folds;

export interface LanguageScore {
  readonly lang: Language;
  /** Mean over folds of the macro accuracy on intent lines (inform counts as `unknown`). */
  readonly macroAccuracy: number;
  /** Lowest fold's macro accuracy: how much the mean hides. */
  readonly worstFold: number;
  /** `signal.*` lines whose signal the bot acts on, pooled over folds. */
  readonly signalRecall: number;
  readonly signalLines: number;
}

export interface CvRow {
  readonly candidate: Candidate;
  readonly name: string;
  readonly languages: LanguageScore[];
  /** Mean of the languages' macro accuracies: what the choice is made on. */
  readonly mean: number;
  /**
   * The same folds read by the classifier alone (its best intent label; no rules): the classifier
   * setting's own figure, free of the lexicon, which was written with these train lines in view.
   */
  readonly classifierAlone: { lang: Language; macroAccuracy: number }[];
}

interface Judged {
  readonly line: CorpusLine;
  readonly fold: number;
  readonly result: UnderstandingResult;
}

const expectedIntent = (l: CorpusLine): Intent | null => labelIntent(l.label);

function macroAccuracy(judged: readonly Judged[]): number {
  const byClass = new Map<Intent, { n: number; right: number }>();
  for (const j of judged) {
    const want = expectedIntent(j.line)!;
    const c = byClass.get(want) ?? { n: 0, right: 0 };
    byClass.set(want, { n: c.n + 1, right: c.right + (j.result.intent === want ? 1 : 0) });
  }
  const recalls = [...byClass.values()].map((c) => c.right / c.n);
  return recalls.length === 0 ? 0 : recalls.reduce((a, b) => a + b, 0) / recalls.length;
}

function score(judged: readonly Judged[], folds: number): LanguageScore[] {
  return Language.options.flatMap((lang) => {
    const mine = judged.filter((j) => j.line.lang === lang);
    if (mine.length === 0) return [];
    const intents = mine.filter((j) => expectedIntent(j.line) !== null);
    const perFold = Array.from({ length: folds }, (_, f) => intents.filter((j) => j.fold === f))
      .filter((js) => js.length > 0)
      .map(macroAccuracy);
    const signals = mine.filter((j) => expectedIntent(j.line) === null);
    const found = signals.filter((j) => signalsActedOn(j.result).includes(j.line.label.slice('signal.'.length) as Signal)).length;
    return [{
      lang,
      macroAccuracy: perFold.reduce((a, b) => a + b, 0) / Math.max(1, perFold.length),
      worstFold: Math.min(...perFold),
      signalRecall: signals.length === 0 ? 1 : found / signals.length,
      signalLines: signals.length,
    }];
  });
}

/** What every cross-validation shares: each line's fold, and the rules' reading of it (read once: it does not depend on what is tried). */
function foldsOf(lines: readonly CorpusLine[], options: { folds: number; seed: string; lexicon?: Lexicon; today?: string }) {
  const lexicon = options.lexicon ?? loadLexicon();
  const context = (language: Language): UnderstandingContext => ({ language, expecting: 'none', today: options.today ?? '2025-03-12', recentTurns: [] });
  const fold = lines.map((l) => foldOf(l.text, options.folds, options.seed));
  const rules = lines.map((l) => understandText(lexicon, l.text, context(l.lang)));
  return { context, fold, rules };
}

export async function crossValidate(
  lines: readonly CorpusLine[],
  options: { folds: number; seed: string; grid?: readonly Candidate[]; lexicon?: Lexicon; today?: string },
): Promise<CvRow[]> {
  const grid = options.grid ?? GRID;
  const { context, fold, rules } = foldsOf(lines, options);
  const judged = grid.map((): Judged[] => []);
  const alone = new Map<string, Judged[]>();
  const settings = [...new Map(grid.map((c) => [JSON.stringify(c.classifier), c.classifier])).values()];
  for (let f = 0; f < options.folds; f++) {
    const held = lines.flatMap((_, i) => (fold[i] === f ? [i] : []));
    if (held.length === 0) continue;
    const train = lines.filter((_, i) => fold[i] !== f);
    for (const s of settings) {
      const classifier = await IntentClassifier.train(train, null, s);
      const classified = await Promise.all(held.map((i) => classifier.classify(lines[i]!.text)));
      const mine = alone.get(JSON.stringify(s)) ?? [];
      alone.set(JSON.stringify(s), mine);
      held.forEach((i, k) => {
        const top = classified[k]!.find((c) => !c.label.startsWith('signal.'));
        const intent: Intent = (top && labelIntent(top.label)) ?? 'unknown';
        mine.push({ line: lines[i]!, fold: f, result: { ...rules[i]!, intent, signals: [] } });
      });
      grid.forEach((c, g) => {
        if (JSON.stringify(c.classifier) !== JSON.stringify(s)) return;
        held.forEach((i, k) => {
          const line = lines[i]!;
          judged[g]!.push({ line, fold: f, result: combine(rules[i]!, () => rules[i]!, classified[k]!, context(line.lang), c.thresholds) });
        });
      });
    }
  }
  return grid.map((candidate, g) => {
    const languages = score(judged[g]!, options.folds);
    const mean = languages.reduce((a, l) => a + l.macroAccuracy, 0) / Math.max(1, languages.length);
    const classifierAlone = score(alone.get(JSON.stringify(candidate.classifier)) ?? [], options.folds).map((l) => ({ lang: l.lang, macroAccuracy: l.macroAccuracy }));
    return { candidate, name: candidateName(candidate), languages, mean, classifierAlone };
  });
}

/** The second stage's band candidates (`checkInMin`): the classifier's score for a check-in class at or above which it asks. */
export const CHECK_IN_BANDS: readonly number[] = [0.02, 0.05, 0.1, 0.15, 0.2, 0.3];

export interface CheckInRow {
  readonly checkInMin: number;
  readonly languages: {
    readonly lang: Language;
    /** Lines carrying a check-in class (signal.* lines and the intents that carry one). */
    readonly positives: number;
    /** … raised by the first stage. */
    readonly raised: number;
    /** … raised, or checked in about that very class. */
    readonly caught: number;
    /** Lines carrying no safety class at all. */
    readonly negatives: number;
    /** … that got a check-in (raising nothing). */
    readonly checkIns: number;
  }[];
}

/**
 * The band, by cross-validation on the train part with the shipped classifier settings and
 * thresholds: each fold's model reads its held-back lines and, for each candidate `checkInMin`,
 * counts how many lines carrying a check-in class are caught (raised, or checked in about that
 * class) and how many lines with no safety class would get a check-in.
 */
export async function checkInBands(
  lines: readonly CorpusLine[],
  options: { folds: number; seed: string; bands?: readonly number[]; lexicon?: Lexicon; today?: string },
): Promise<CheckInRow[]> {
  const bands = options.bands ?? CHECK_IN_BANDS;
  const { context, fold, rules } = foldsOf(lines, options);
  // What each line carries: its signal, or the signals its intent carries (a dispute, a third party…).
  const carried = lines.map((l, i): Signal[] => {
    const intent = expectedIntent(l);
    return intent === null ? [l.label.slice('signal.'.length) as Signal] : signalsActedOn({ ...rules[i]!, intent, signals: [] });
  });
  const results = bands.map((): (UnderstandingResult | undefined)[] => []);
  for (let f = 0; f < options.folds; f++) {
    const held = lines.flatMap((_, i) => (fold[i] === f ? [i] : []));
    if (held.length === 0) continue;
    const classifier = await IntentClassifier.train(lines.filter((_, i) => fold[i] !== f), null, CLASSIFIER_SETTINGS);
    const classified = await Promise.all(held.map((i) => classifier.classify(lines[i]!.text)));
    bands.forEach((checkInMin, b) => {
      held.forEach((i, k) => {
        results[b]![i] = combine(rules[i]!, () => rules[i]!, classified[k]!, context(lines[i]!.lang), { ...THRESHOLDS, checkInMin });
      });
    });
  }
  return bands.map((checkInMin, b) => ({
    checkInMin,
    languages: Language.options.map((lang) => {
      let positives = 0, raised = 0, caught = 0, negatives = 0, checkIns = 0;
      lines.forEach((l, i) => {
        const r = results[b]![i];
        if (l.lang !== lang || !r) return;
        const acted = signalsActedOn(r);
        const classes = carried[i]!.filter((s) => CheckInClass.safeParse(s).success);
        if (classes.length > 0) {
          positives++;
          if (classes.every((s) => acted.includes(s))) raised++;
          if (classes.every((s) => acted.includes(s) || r.checkIn === s)) caught++;
        } else if (carried[i]!.length === 0) {
          negatives++;
          if (r.checkIn) checkIns++;
        }
      });
      return { lang, positives, raised, caught, negatives, checkIns };
    }),
  }));
}

export function formatCheckInBands(rows: readonly CheckInRow[], folds: number, lines: number): string {
  const langs = rows[0]?.languages.map((l) => l.lang) ?? [];
  return [
    `${folds}-fold cross-validation on the TRAIN part (${lines} lines), shipped settings: the second stage's band (DEVELOPMENT figures)`,
    'caught = raised, or checked in about that class; check-ins = lines with no safety class that would get a check-in',
    `| checkInMin | ${langs.map((l) => `${l} raised | ${l} caught | ${l} check-ins`).join(' | ')} |`,
    `|---:|${langs.map(() => '---:|---:|---:').join('|')}|`,
    ...rows.map((r) => `| ${r.checkInMin} | ${r.languages.map((l) => `${l.raised}/${l.positives} | ${l.caught}/${l.positives} | ${l.checkIns}/${l.negatives}`).join(' | ')} |`),
    `shipped: checkInMin ${THRESHOLDS.checkInMin}`,
  ].join('\n');
}

/** The best mean macro accuracy; a tie goes to the earlier candidate in the grid. */
export const best = (rows: readonly CvRow[]): CvRow => rows.reduce((a, b) => (b.mean > a.mean ? b : a));

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function formatCv(rows: readonly CvRow[], folds: number, lines: number): string {
  const langs = rows[0]?.languages.map((l) => l.lang) ?? [];
  const shipped = rows.find((r) => JSON.stringify(r.candidate) === JSON.stringify({ classifier: CLASSIFIER_SETTINGS, thresholds: THRESHOLDS }));
  const out = [
    `${folds}-fold cross-validation on the TRAIN part (${lines} lines): DEVELOPMENT figures, mean over folds of macro accuracy on intent lines (worst fold), signal.* recall`,
    `| setting | ${langs.map((l) => `${l} macro (worst) | ${l} signals`).join(' | ')} | mean macro |`,
    `|---|${langs.map(() => '---:|---:').join('|')}|---:|`,
    ...rows.map((r) => `| ${r.name} | ${r.languages.map((l) => `${pct(l.macroAccuracy)} (${pct(l.worstFold)}) | ${pct(l.signalRecall)}`).join(' | ')} | ${pct(r.mean)} |`),
    '',
    'classifier alone (no rules), mean over folds of macro accuracy:',
    `| classifier setting | ${langs.join(' | ')} |`,
    `|---|${langs.map(() => '---:').join('|')}|`,
    ...[...new Map(rows.map((r) => [JSON.stringify(r.candidate.classifier), r])).values()].map(
      (r) => `| lr ${r.candidate.classifier.learningRate}, zh ${r.candidate.classifier.zhBigrams ? 'uni+bigrams' : 'unigrams'} | ${r.classifierAlone.map((l) => pct(l.macroAccuracy)).join(' | ')} |`,
    ),
    '',
    `best: ${best(rows).name} (mean ${pct(best(rows).mean)})`,
  ];
  if (shipped) out.push(`shipped: ${shipped.name} (mean ${pct(shipped.mean)})`);
  return out.join('\n');
}

const Options = z.object({
  folds: z.coerce.number().int().min(2).max(10).default(5),
  seed: z.string().min(1).default('forbear-cv-v1'),
  json: z.boolean().default(false),
  /** Choose the second stage's band instead of the classifier settings. */
  checkIn: z.boolean().default(false),
});

async function main(): Promise<void> {
  const o = readCli('cv', 'usage: npm run -s cv:understanding -- [--folds 2..10] [--seed S] [--check-in] [--json]', Options, {
    folds: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
    'check-in': { type: 'boolean' },
  }, ({ 'check-in': checkIn, ...rest }) => ({ ...rest, checkIn }));
  const lines = trainingLines();
  if (o.checkIn) {
    const rows = await checkInBands(lines, { folds: o.folds, seed: o.seed });
    process.stdout.write(o.json ? `${JSON.stringify(rows, null, 2)}\n` : `${formatCheckInBands(rows, o.folds, lines.length)}\n`);
    return;
  }
  const rows = await crossValidate(lines, { folds: o.folds, seed: o.seed });
  process.stdout.write(o.json ? `${JSON.stringify(rows, null, 2)}\n` : `${formatCv(rows, o.folds, lines.length)}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
