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
import { SAFETY_SETTINGS, SafetyClassifier, type SafetyScore, type SafetySettings } from './safetyClassifier.js';

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

/**
 * The second stage's candidates: the first model's band (`checkInMin`) alone, and the shipped band
 * with the safety-only model's band (`safetyCheckInMin`) for each of its candidate settings.
 */
export interface CheckInBand {
  readonly checkInMin: number;
  readonly safety: { readonly settings: SafetySettings; readonly min: number } | null;
}
const SAFETY_GRID: readonly SafetySettings[] = [false, true].flatMap((binary) => [false, true].map((enTrigrams) => ({ learningRate: 0.3, zhMaxN: 3, enTrigrams, binary })));
export const CHECK_IN_BANDS: readonly CheckInBand[] = [
  ...[0.02, 0.05, 0.1, 0.15, 0.2, 0.3].map((checkInMin) => ({ checkInMin, safety: null })),
  ...[0.15, 0.2, 0.25, 0.3].flatMap((checkInMin) =>
    SAFETY_GRID.flatMap((settings) => [0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 0.9].map((min) => ({ checkInMin, safety: { settings, min } })))),
];

export const bandName = (b: CheckInBand): string =>
  b.safety === null
    ? `${b.checkInMin}`
    : `${b.checkInMin} + safety ≥ ${b.safety.min} (${b.safety.settings.binary ? 'any + which' : 'one network'}, zh ≤${b.safety.settings.zhMaxN}-grams, en stems${b.safety.settings.enTrigrams ? '+trigrams' : ''}, lr ${b.safety.settings.learningRate})`;

export interface CheckInRow {
  readonly band: CheckInBand;
  readonly languages: {
    readonly lang: Language;
    /** Lines carrying a check-in class (signal.* lines and the intents that carry one). */
    readonly positives: number;
    /** … raised by the first stage. */
    readonly raised: number;
    /** … raised, or checked in about that very class. */
    readonly caught: number;
    /**
     * … caught when the rules see nothing (the models alone): what is left for wording the lexicon
     * was never written for. On these train lines the lexicon, written with them in view, finds
     * nearly everything, so `caught` cannot tell the bands apart; this can.
     */
    readonly modelsCaught: number;
    /** Lines carrying no safety class at all. */
    readonly negatives: number;
    /** … that got a check-in (raising nothing). */
    readonly checkIns: number;
  }[];
}

/**
 * The bands, by cross-validation on the train part with the shipped classifier settings and
 * thresholds: each fold's models (the intent model, and a safety-only model per candidate setting)
 * read its held-back lines and, for each candidate band, count how many lines carrying a check-in
 * class are caught (raised, or checked in about that class) and how many lines with no safety
 * class would get a check-in.
 */
export async function checkInBands(
  lines: readonly CorpusLine[],
  options: { folds: number; seed: string; bands?: readonly CheckInBand[]; lexicon?: Lexicon; today?: string },
): Promise<CheckInRow[]> {
  const bands = options.bands ?? CHECK_IN_BANDS;
  const { context, fold, rules } = foldsOf(lines, options);
  // What each line carries: its signal, or the signals its intent carries (a dispute, a third party…).
  const carried = lines.map((l, i): Signal[] => {
    const intent = expectedIntent(l);
    return intent === null ? [l.label.slice('signal.'.length) as Signal] : signalsActedOn({ ...rules[i]!, intent, signals: [] });
  });
  const safetySettings = [...new Map(bands.flatMap((b) => (b.safety ? [[JSON.stringify(b.safety.settings), b.safety.settings] as const] : []))).values()];
  const results = bands.map((): (UnderstandingResult | undefined)[] => []);
  const alone = bands.map((): (UnderstandingResult | undefined)[] => []);
  const silent = rules.map((r): UnderstandingResult => ({ ...r, intent: 'unknown', confidence: 0, signals: [] }));
  for (let f = 0; f < options.folds; f++) {
    const held = lines.flatMap((_, i) => (fold[i] === f ? [i] : []));
    if (held.length === 0) continue;
    const train = lines.filter((_, i) => fold[i] !== f);
    const classifier = await IntentClassifier.train(train, null, CLASSIFIER_SETTINGS);
    const classified = await Promise.all(held.map((i) => classifier.classify(lines[i]!.text)));
    const safetyScores = new Map<string, SafetyScore[][]>();
    for (const settings of safetySettings) {
      const safety = await SafetyClassifier.train(train, null, settings);
      safetyScores.set(JSON.stringify(settings), await Promise.all(held.map((i) => safety.classify(lines[i]!.text))));
    }
    bands.forEach((band, b) => {
      const scores = band.safety ? safetyScores.get(JSON.stringify(band.safety.settings))! : null;
      const thresholds = { ...THRESHOLDS, checkInMin: band.checkInMin, safetyCheckInMin: band.safety?.min ?? Infinity };
      held.forEach((i, k) => {
        results[b]![i] = combine(rules[i]!, () => rules[i]!, classified[k]!, context(lines[i]!.lang), thresholds, scores?.[k] ?? []);
        alone[b]![i] = combine(silent[i]!, () => silent[i]!, classified[k]!, context(lines[i]!.lang), thresholds, scores?.[k] ?? []);
      });
    });
  }
  return bands.map((band, b) => ({
    band,
    languages: Language.options.map((lang) => {
      let positives = 0, raised = 0, caught = 0, modelsCaught = 0, negatives = 0, checkIns = 0;
      lines.forEach((l, i) => {
        const r = results[b]![i];
        if (l.lang !== lang || !r) return;
        const acted = signalsActedOn(r);
        const classes = carried[i]!.filter((s) => CheckInClass.safeParse(s).success);
        if (classes.length > 0) {
          positives++;
          if (classes.every((s) => acted.includes(s))) raised++;
          if (caughtBy(acted, r, classes)) caught++;
          const byModels = alone[b]![i]!;
          if (caughtBy(signalsActedOn(byModels), byModels, classes)) modelsCaught++;
        } else if (carried[i]!.length === 0) {
          negatives++;
          if (r.checkIn) checkIns++;
        }
      });
      return { lang, positives, raised, caught, modelsCaught, negatives, checkIns };
    }),
  }));
}

/** Every class of a line raised (`acted` on) or checked in about. */
const caughtBy = (acted: readonly Signal[], r: UnderstandingResult, classes: readonly Signal[]): boolean =>
  classes.every((s) => acted.includes(s) || r.checkIn === s);

/** At most this share of the lines with no safety class may get a check-in, in every language. */
export const CHECK_IN_BUDGET = 0.05;

/**
 * The rule (README, "Second stage"): while every language keeps within the budget, the most lines
 * the models alone catch (what is left for new wording), then the most caught; a tie goes to the
 * earlier band.
 */
export const chosenBand = (rows: readonly CheckInRow[]): CheckInRow | null =>
  rows
    .filter((r) => r.languages.every((l) => l.checkIns <= CHECK_IN_BUDGET * l.negatives))
    .reduce<CheckInRow | null>((a, r) => (a === null || better(r, a) ? r : a), null);
const total = (r: CheckInRow, n: 'caught' | 'modelsCaught'): number => r.languages.reduce((sum, l) => sum + l[n], 0);
const better = (r: CheckInRow, than: CheckInRow): boolean =>
  total(r, 'modelsCaught') > total(than, 'modelsCaught') || (total(r, 'modelsCaught') === total(than, 'modelsCaught') && total(r, 'caught') > total(than, 'caught'));

export function formatCheckInBands(rows: readonly CheckInRow[], folds: number, lines: number): string {
  const langs = rows[0]?.languages.map((l) => l.lang) ?? [];
  const chosen = chosenBand(rows);
  return [
    `${folds}-fold cross-validation on the TRAIN part (${lines} lines), shipped settings: the second stage's bands (DEVELOPMENT figures)`,
    'caught = raised, or checked in about that class; check-ins = lines with no safety class that would get a check-in',
    'models alone = caught when the rules see nothing (what is left for wording the lexicon was not written for)',
    `| band | ${langs.map((l) => `${l} raised | ${l} caught | ${l} models alone | ${l} check-ins`).join(' | ')} |`,
    `|---|${langs.map(() => '---:|---:|---:|---:').join('|')}|`,
    ...rows.map((r) => `| ${bandName(r.band)} | ${r.languages.map((l) => `${l.raised}/${l.positives} | ${l.caught}/${l.positives} | ${l.modelsCaught}/${l.positives} | ${l.checkIns}/${l.negatives}`).join(' | ')} |`),
    `by the rule (≤ ${CHECK_IN_BUDGET * 100} % check-ins in every language; the most caught by the models alone, then the most caught): ${chosen ? bandName(chosen.band) : 'none'}`,
    `shipped: ${bandName({ checkInMin: THRESHOLDS.checkInMin, safety: { settings: SAFETY_SETTINGS, min: THRESHOLDS.safetyCheckInMin } })}`,
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
  /** Choose the second stage's bands (both models') instead of the classifier settings. */
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
