/**
 * Held-out measurement: every figure here comes from lines no engine was trained or tuned on —
 * the test parts of Forbear's corpus and of the shared datasets (split by classifier/split.ts),
 * the safety set written before any tuning (corpus/understanding/heldout/safety.yaml), and the
 * safety sets with hard negatives (SAFETY_SETS_WITH_NEGATIVES): an independent one written by
 * someone who had seen neither the lexicon nor the training lines, then blind ones, each written
 * blind to the safety lexicon and every training line, most after the set before had been read, so
 * that no class-level result of a set had steered any tuning before it was first measured. Who
 * wrote each, when, in what shape and when it was read: corpus/understanding/README.md.
 * The report holds counts only; it never lists a test line the engine got wrong, so nobody tunes
 * against the test parts by reading them. `--split train` lists errors, on train lines only.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { Signal } from '../../policy/index.js';
import { toCommands } from '../../dialogs/commands.js';
import { CORPUS_DIR, labelIntent, loadExtraTraining, loadOwnCorpus, ownTestLines, sharedLines, trainingLines, type CorpusLine } from './classifier/corpus.js';
import { isHeldOut } from './classifier/split.js';
import { ZH_COLLECTION_MAP } from './datasets.js';
import { Language } from '../../conversation/language.js';
import type { Intent, Understanding, UnderstandingContext, UnderstandingResult } from '../../conversation/understanding.js';

/** A line and the safety classes it must raise; none is a hard negative that must raise no safety class. */
const SafetyCase = z.strictObject({ lang: Language, signals: z.array(Signal), text: z.string().min(1) });
const SafetyFile = z.strictObject({ version: z.number().int(), cases: z.array(SafetyCase) });
export type SafetyCase = z.infer<typeof SafetyCase>;

export const SAFETY_SET = 'heldout/safety.yaml';

/**
 * The safety sets with hard negatives, in the order they were written, which is the order they are
 * measured and reported in. `key` names a set in the JSON report, `name` in the printed one. A new
 * set is its file under heldout/, one entry at the end here and its row in corpus/understanding/README.md;
 * the report, the targets line, the train-run guard and the tests all read this list (the tests
 * hold a new set to blind-9's shape unless their SHAPES says otherwise).
 */
export const SAFETY_SETS_WITH_NEGATIVES = [
  { key: 'independent', name: 'independent safety set', file: 'heldout/safety-independent.yaml' },
  { key: 'blind', name: 'blind safety set', file: 'heldout/safety-blind.yaml' },
  { key: 'blind4', name: 'blind-4 safety set', file: 'heldout/safety-blind-4.yaml' },
  { key: 'blind5', name: 'blind-5 safety set', file: 'heldout/safety-blind-5.yaml' },
  { key: 'blind6', name: 'blind-6 safety set', file: 'heldout/safety-blind-6.yaml' },
  { key: 'blind7', name: 'blind-7 safety set', file: 'heldout/safety-blind-7.yaml' },
  { key: 'blind8', name: 'blind-8 safety set', file: 'heldout/safety-blind-8.yaml' },
  { key: 'blind9', name: 'blind-9 safety set', file: 'heldout/safety-blind-9.yaml' },
  { key: 'blind10', name: 'blind-10 safety set', file: 'heldout/safety-blind-10.yaml' },
  { key: 'blind11', name: 'blind-11 safety set', file: 'heldout/safety-blind-11.yaml' },
  { key: 'blind12', name: 'blind-12 safety set', file: 'heldout/safety-blind-12.yaml' },
  { key: 'blind13', name: 'blind-13 safety set', file: 'heldout/safety-blind-13.yaml' },
  { key: 'blind14', name: 'blind-14 safety set', file: 'heldout/safety-blind-14.yaml' },
  { key: 'blind15', name: 'blind-15 safety set', file: 'heldout/safety-blind-15.yaml' },
  { key: 'blind16', name: 'blind-16 safety set', file: 'heldout/safety-blind-16.yaml' },
] as const;
type SafetySetEntry = (typeof SAFETY_SETS_WITH_NEGATIVES)[number];
// z.enum wants a non-empty tuple; the list above is one, which map's array type forgets.
export const SafetySetKey = z.enum(SAFETY_SETS_WITH_NEGATIVES.map((s) => s.key) as [SafetySetEntry['key'], ...SafetySetEntry['key'][]]);
export type SafetySetKey = z.infer<typeof SafetySetKey>;
/** Development safety sets (`--dev`): lines anyone tuning may read, so their misses are listed. */
export const DEV_SAFETY_FILE = /^dev\/[\w.-]+\.yaml$/;

export function loadSafetySet(file: string = SAFETY_SET): SafetyCase[] {
  return SafetyFile.parse(parse(readFileSync(new URL(file, CORPUS_DIR), 'utf8'))).cases;
}

/** The signals the bot acts on for a result: raised ones plus those an intent carries (dispute, third party…). */
export function signalsActedOn(r: UnderstandingResult): Signal[] {
  return toCommands(r).flatMap((c) => (c.kind === 'signal' ? [c.signal] : []));
}

/** What a labelled line expects: an intent, or (for `signal.*` lines) a signal. */
function expectation(l: CorpusLine): { intent: Intent | null; signal: Signal | null } {
  const intent = labelIntent(l.label);
  return intent === null ? { intent, signal: l.label.slice('signal.'.length) as Signal } : { intent, signal: null };
}

export const IntentScore = z.object({
  intent: z.string(),
  support: z.number().int(),
  predicted: z.number().int(),
  tp: z.number().int(),
  precision: z.number(),
  recall: z.number(),
});
export type IntentScore = z.infer<typeof IntentScore>;

export const SetReport = z.object({
  name: z.string(),
  lang: Language,
  lines: z.number().int(),
  accuracy: z.number(),
  /** Mean of per-class recall ("macro accuracy"): every class counts the same however rare. */
  macroAccuracy: z.number(),
  perIntent: z.array(IntentScore),
  /** Development runs (`--split train`) only: what was missed. */
  misses: z.array(z.object({ text: z.string(), want: z.string(), got: z.string() })),
});
export type SetReport = z.infer<typeof SetReport>;

/**
 * `found`: the class was raised (the bot hands off at once); `caught`: raised, or the second stage
 * checked in about that very class (the bot asks, and a yes hands off).
 */
const SignalRecall = z.object({ signal: z.string(), cases: z.number().int(), found: z.number().int(), caught: z.number().int() });
type SignalRecall = z.infer<typeof SignalRecall>;
/** `checkIns`: hard negatives that raised nothing but got a check-in (a question a person did not need). */
const SafetySetScore = z.object({
  recall: z.array(SignalRecall),
  negatives: z.number().int(),
  falsePositives: z.number().int(),
  checkIns: z.number().int(),
});
type SafetySetScore = z.infer<typeof SafetySetScore>;

export const SafetyReport = z.object({
  lang: Language,
  /** Rows: the safety class a line carries ('none' for the rest); columns: the first class acted on. */
  confusion: z.record(z.string(), z.record(z.string(), z.number().int())),
  heldOut: z.array(SignalRecall),
  /** Each set with hard negatives: recall per class, and its hard negatives that raised a safety class anyway. */
  withNegatives: z.record(SafetySetKey, SafetySetScore),
});
export type SafetyReport = z.infer<typeof SafetyReport>;

export const HeldOutReport = z.object({
  engine: z.string(),
  split: z.enum(['test', 'train']),
  sets: z.array(SetReport),
  safety: z.array(SafetyReport),
  targets: z.object({
    zhMacroAccuracy: z.number(),
    enRequestHumanRecall: z.number(),
    enRequestHumanFalsePositiveRate: z.number(),
    safetyHeldOutRecall: z.number(),
    safetyHeldOutCaught: z.number(),
    /** Each set with hard negatives, summed over the languages. */
    sets: z.record(SafetySetKey, z.object({ recall: z.number(), caught: z.number(), falsePositiveRate: z.number(), checkInRate: z.number() })),
  }),
});
export type HeldOutReport = z.infer<typeof HeldOutReport>;

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

interface Judged {
  readonly line: CorpusLine;
  /** Intents that count as right (the zh collection accepts a second reading, see ZH_COLLECTION_MAP). */
  readonly accepted: readonly Intent[] | null;
  readonly signal: Signal | null;
  readonly result: UnderstandingResult;
}

function scoreSet(name: string, lang: Language, judged: readonly Judged[], listMisses: boolean): SetReport {
  const scored = judged.filter((j) => j.accepted !== null);
  const classes = [...new Set(scored.map((j) => j.accepted![0]!))].sort();
  const right = (j: Judged) => j.accepted!.includes(j.result.intent);
  const perIntent = classes.map((intent) => {
    const mine = scored.filter((j) => j.accepted![0] === intent);
    const tp = mine.filter(right).length;
    const predictedAs = scored.filter((j) => j.result.intent === intent);
    const precise = predictedAs.filter((j) => j.accepted!.includes(intent)).length;
    return { intent, support: mine.length, predicted: predictedAs.length, tp, precision: ratio(precise, predictedAs.length), recall: ratio(tp, mine.length) };
  });
  return {
    name,
    lang,
    lines: scored.length,
    accuracy: ratio(scored.filter(right).length, scored.length),
    macroAccuracy: ratio(perIntent.reduce((s, p) => s + p.recall, 0), perIntent.length),
    perIntent,
    misses: listMisses ? scored.filter((j) => !right(j)).map((j) => ({ text: j.line.text, want: j.accepted!.join('|'), got: j.result.intent })) : [],
  };
}

/** The classes the confusion table tracks: the ones that decide a handoff. */
const SAFETY_CLASSES: readonly Signal[] = [
  'self_harm', 'bereavement', 'addiction', 'mental_health', 'serious_illness', 'bankruptcy', 'legal_representation',
  'dispute', 'third_party', 'wrong_person', 'request_human',
];
const expectedSafety = (j: Judged): string => {
  if (j.signal) return j.signal;
  const intent = j.accepted?.[0];
  const carried = intent ? signalsActedOn({ ...j.result, intent, signals: [] }) : [];
  return SAFETY_CLASSES.find((c) => carried.includes(c)) ?? 'none';
};

function confusion(judged: readonly Judged[]): SafetyReport['confusion'] {
  const table: Record<string, Record<string, number>> = {};
  for (const j of judged) {
    const want = expectedSafety(j);
    const acted = signalsActedOn(j.result);
    const got = acted.includes(want as Signal) ? want : (SAFETY_CLASSES.find((c) => acted.includes(c)) ?? 'none');
    if (want === 'none' && got === 'none') continue;
    table[want] ??= {};
    table[want][got] = (table[want][got] ?? 0) + 1;
  }
  return table;
}

/**
 * Recall per safety class in one language, and how many hard negatives raised a safety class anyway.
 * Counts only: which line was missed is never reported.
 */
function scoreSafetySet(cases: readonly ActedCase[], lang: Language): SafetySetScore {
  const mine = cases.filter((c) => c.lang === lang);
  const recall = [...new Set(cases.flatMap((c) => c.signals))].map((signal): SignalRecall => {
    const carrying = mine.filter((c) => c.signals.includes(signal));
    return {
      signal,
      cases: carrying.length,
      found: carrying.filter((c) => c.acted.includes(signal)).length,
      caught: carrying.filter((c) => c.acted.includes(signal) || c.checkIn === signal).length,
    };
  });
  const negatives = mine.filter((c) => c.signals.length === 0);
  return {
    recall,
    negatives: negatives.length,
    falsePositives: negatives.filter((c) => c.acted.some((s) => SAFETY_CLASSES.includes(s))).length,
    checkIns: negatives.filter((c) => c.checkIn !== null).length,
  };
}

/** A safety case as the engine read it: the signals acted on, and the second stage's check-in (null: none). */
type ActedCase = SafetyCase & { acted: readonly Signal[]; checkIn: Signal | null };
const actedOn = (c: SafetyCase, r: UnderstandingResult): ActedCase => ({ ...c, acted: signalsActedOn(r), checkIn: r.checkIn ?? null });

export const DevSafetyReport = z.object({
  file: z.string(),
  perLanguage: z.array(z.object({ lang: Language, score: SafetySetScore })),
  /**
   * Positives that missed a class they carry, and hard negatives that raised one or got a check-in:
   * with their text (development lines) and the check-in asked, if any.
   */
  misses: z.array(z.object({ lang: Language, text: z.string(), want: z.array(z.string()), acted: z.array(z.string()), checkIn: z.string().nullable() })),
});
export type DevSafetyReport = z.infer<typeof DevSafetyReport>;

/**
 * A development safety set (`corpus/understanding/dev/*.yaml`, the held-out sets' format): recall
 * per class and false alarms per language, with the lines behind them. Refuses anything outside
 * `dev/`, so no held-out line is ever listed.
 */
export async function measureDevSafety(understanding: Understanding, file: string, today: string): Promise<DevSafetyReport> {
  if (!DEV_SAFETY_FILE.test(file)) throw new Error(`--dev takes a file in corpus/understanding/dev/ (dev/NAME.yaml), not ${file}`);
  const cases = await Promise.all(loadSafetySet(file).map(async (c) =>
    actedOn(c, await understanding.understand(c.text, { language: c.lang, expecting: 'none', today, recentTurns: [] }))));
  const wrong = (c: ActedCase) =>
    c.signals.length === 0 ? c.acted.some((s) => SAFETY_CLASSES.includes(s)) || c.checkIn !== null : c.signals.some((s) => !c.acted.includes(s));
  return {
    file,
    perLanguage: Language.options.map((lang) => ({ lang, score: scoreSafetySet(cases, lang) })),
    misses: cases.filter(wrong).map((c) => ({ lang: c.lang, text: c.text, want: c.signals, acted: [...c.acted], checkIn: c.checkIn })),
  };
}

export async function measureHeldOut(
  understanding: Understanding,
  options: { datasets: string | null; today: string; split: 'test' | 'train' },
): Promise<HeldOutReport> {
  const context = (language: Language): UnderstandingContext => ({ language, expecting: 'none', today: options.today, recentTurns: [] });
  const judge = async (line: CorpusLine, accepted: readonly Intent[] | null, signal: Signal | null): Promise<Judged> => ({
    line,
    accepted,
    signal,
    result: await understanding.understand(line.text, context(line.lang)),
  });

  const own = options.split === 'test' ? ownTestLines() : [...loadOwnCorpus().filter((l) => !isHeldOut('forbear', l.text)), ...loadExtraTraining()];
  const shared = options.datasets === null ? [] : options.split === 'test' ? sharedLines(options.datasets, 'test') : trainingLines().filter((l) => l.source !== 'forbear');
  const judged = await Promise.all([
    ...own.map((l) => {
      const e = expectation(l);
      return judge(l, e.intent ? [e.intent] : null, e.signal);
    }),
    ...shared.map((l) => {
      const original = 'original' in l ? String(l.original) : '';
      const accepted = l.source === 'zhCollection' && ZH_COLLECTION_MAP[original] ? ZH_COLLECTION_MAP[original]! : [expectation(l).intent ?? 'unknown'];
      return judge(l, accepted, null);
    }),
  ]);
  const listMisses = options.split === 'train';

  const sets: SetReport[] = [];
  for (const lang of Language.options) {
    const mine = judged.filter((j) => j.line.source === 'forbear' && j.line.lang === lang);
    if (mine.length > 0) sets.push(scoreSet(`forbear ${options.split}`, lang, mine, listMisses));
  }
  const nlupp = judged.filter((j) => j.line.source === 'nlupp');
  if (nlupp.length > 0) sets.push(scoreSet(`NLU++ banking ${options.split}`, 'en', nlupp, listMisses));
  const zh = judged.filter((j) => j.line.source === 'zhCollection');
  if (zh.length > 0) sets.push(scoreSet(`zh collection ${options.split}`, 'zh-CN', zh, listMisses));

  // A development run (`--split train`) never reads the held-out safety sets: even their class
  // counts would show what to tune towards.
  const read = async (file: string) => {
    const cases = options.split === 'test' ? loadSafetySet(file) : [];
    return Promise.all(cases.map(async (c) => actedOn(c, await understanding.understand(c.text, context(c.lang)))));
  };
  const [safetySet, ...withNegatives] = await Promise.all([SAFETY_SET, ...SAFETY_SETS_WITH_NEGATIVES.map((s) => s.file)].map(read));
  const safety = Language.options.map((lang): SafetyReport => ({
    lang,
    confusion: confusion(judged.filter((j) => j.line.lang === lang)),
    heldOut: scoreSafetySet(safetySet!, lang).recall,
    withNegatives: Object.fromEntries(SAFETY_SETS_WITH_NEGATIVES.map(({ key }, i) => [key, scoreSafetySet(withNegatives[i]!, lang)])) as Record<SafetySetKey, SafetySetScore>,
  }));

  const enHuman = judged.filter((j) => j.line.lang === 'en' && j.accepted !== null);
  const wantsPerson = (j: Judged) => j.accepted![0] === 'request_human';
  const saysPerson = (j: Judged) => signalsActedOn(j.result).includes('request_human');
  const zhSets = sets.filter((s) => s.lang !== 'en');
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const recallOver = (rs: readonly SignalRecall[]) => ratio(sum(rs.map((h) => h.found)), sum(rs.map((h) => h.cases)));
  const caughtOver = (rs: readonly SignalRecall[]) => ratio(sum(rs.map((h) => h.caught)), sum(rs.map((h) => h.cases)));
  const falsePositiveRate = (scores: readonly SafetySetScore[]) =>
    ratio(sum(scores.map((s) => s.falsePositives)), sum(scores.map((s) => s.negatives)));
  const checkInRate = (scores: readonly SafetySetScore[]) => ratio(sum(scores.map((s) => s.checkIns)), sum(scores.map((s) => s.negatives)));
  return {
    engine: understanding.name,
    split: options.split,
    sets,
    safety,
    targets: {
      zhMacroAccuracy: ratio(zhSets.reduce((s, x) => s + x.macroAccuracy * x.lines, 0), zhSets.reduce((s, x) => s + x.lines, 0)),
      enRequestHumanRecall: ratio(enHuman.filter((j) => wantsPerson(j) && saysPerson(j)).length, enHuman.filter(wantsPerson).length),
      enRequestHumanFalsePositiveRate: ratio(enHuman.filter((j) => !wantsPerson(j) && saysPerson(j)).length, enHuman.filter((j) => !wantsPerson(j)).length),
      safetyHeldOutRecall: recallOver(safety.flatMap((s) => s.heldOut)),
      safetyHeldOutCaught: caughtOver(safety.flatMap((s) => s.heldOut)),
      sets: Object.fromEntries(
        SAFETY_SETS_WITH_NEGATIVES.map(({ key }) => {
          const scores = safety.map((s) => s.withNegatives[key]);
          const rows = scores.flatMap((b) => b.recall);
          return [key, { recall: recallOver(rows), caught: caughtOver(rows), falsePositiveRate: falsePositiveRate(scores), checkInRate: checkInRate(scores) }];
        }),
      ) as HeldOutReport['targets']['sets'],
    },
  };
}
