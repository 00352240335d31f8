/**
 * The second, safety-only model: the same library as the intent classifier (NLP.js's NeuralNlu),
 * trained on the same train part, but told apart only the five check-in classes of issue 12 and
 * "no safety class", with features of its own: Chinese as character uni-, bi- and trigrams, English
 * words as their stems (character trigrams of English words, and a separate "any of the five"
 * network, are settings cross-validation tried and did not choose). The intent model spreads a
 * line over forty labels, so a safety line it half-recognises is often scored thin; this one has
 * only the question "is this one of the five, and which".
 *
 * Its score only ever ADDS a check-in question (hybrid.ts): it never raises a class, never removes
 * one, and never replaces the first model's own check-in. Deterministic like the intent model.
 */
import { createHash } from 'node:crypto';
import { StemmerEn } from '@nlpjs/lang-en-min';
import type { Nlp as NlpInstance } from '@nlpjs/nlp';
import { CheckInClass } from '../../../conversation/understanding.js';
import type { ClassifierLabel, CorpusLine } from './corpus.js';
import { asFeatureText, characterGrams, classificationsOf, importTrained, newNlp, quietly, type FeatureText } from './intentClassifier.js';

/** The classifier labels that speak for each check-in class (a deceased cardholder is both a death and someone else writing: asked about as the death). */
export const CHECK_IN_LABELS: Readonly<Record<CheckInClass, readonly ClassifierLabel[]>> = {
  self_harm: ['signal.self_harm'],
  bereavement: ['signal.bereavement', 'third_party_deceased'],
  dispute: ['dispute'],
  third_party: ['third_party'],
  legal_representation: ['signal.legal_representation'],
};

const NO_SAFETY = 'no_safety';
type SafetyLabel = CheckInClass | typeof NO_SAFETY;

/**
 * What a training line teaches the safety model: its check-in class, "no safety class", or nothing
 * (null) for the other safety signals — addiction, illness, mental health, bankruptcy lines are
 * neither one of the five nor a line that must stay quiet, so they are left out.
 */
export function safetyLabel(label: ClassifierLabel): SafetyLabel | null {
  for (const [about, labels] of Object.entries(CHECK_IN_LABELS) as [CheckInClass, readonly ClassifierLabel[]][]) {
    if (labels.includes(label)) return about;
  }
  return label.startsWith('signal.') ? null : NO_SAFETY;
}

/**
 * Chosen by cross-validation on the train part (`npm run -s cv:understanding -- --check-in`,
 * README): the network's learning rate, the longest Chinese character n-gram, and whether English
 * words add their character trigrams to their stems.
 */
export interface SafetySettings {
  readonly learningRate: number;
  readonly zhMaxN: number;
  readonly enTrigrams: boolean;
  /**
   * Two networks instead of one: "any of the five" against "none" (every safety line's evidence
   * pooled), and which of the five (trained on the safety lines only); the score is the first's.
   */
  readonly binary: boolean;
}
export const SAFETY_SETTINGS: SafetySettings = { learningRate: 0.3, zhMaxN: 3, enTrigrams: false, binary: false };

/**
 * Bump with any change to `safetyFeatures` (or to `featureText`, with FEATURES_VERSION), then
 * retrain: the start-up check compares it with what the committed model was built from.
 */
export const SAFETY_FEATURES_VERSION = 1;

const stemmer = new StemmerEn();

/** "I'm dying" → "i'm die" (with trigrams: "… ~#dy ~dyi ~yin ~ing ~ng#"); Chinese as character n-grams. */
export function safetyFeatures(text: string | FeatureText, settings: SafetySettings = SAFETY_SETTINGS): string {
  const { words } = asFeatureText(text);
  return characterGrams(words, settings.zhMaxN, (word) => {
    const w = word.toLowerCase();
    const stem = stemmer.stemWord(w);
    if (!settings.enTrigrams || /^\p{N}+$/u.test(w)) return [stem];
    const marked = `#${w}#`;
    const grams = [stem];
    for (let i = 0; i + 3 <= marked.length; i++) grams.push(`~${marked.slice(i, i + 3)}`);
    return grams;
  });
}

export interface SafetyScore {
  readonly about: CheckInClass;
  readonly score: number;
}

/** All text goes to one network under one locale with no language package: the tokens above are the features, unstemmed again. */
const LOCALE = 'zh';

/** A fingerprint of what the safety network is shown. */
export function safetyCorpusHash(lines: readonly CorpusLine[], settings: SafetySettings = SAFETY_SETTINGS): string {
  const h = createHash('sha256').update(JSON.stringify(settings));
  for (const l of lines) {
    const label = safetyLabel(l.label);
    if (label !== null) h.update(`${label}\0${safetyFeatures(l.text, settings)}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

const LICENCE =
  'Trained from corpus/understanding (the same train part as model.json): Forbear lines (MIT); NLU++ banking train part (CC BY 4.0, Casanueva et al., ' +
  'Findings of NAACL 2022); zh collection-call intents train part (Apache-2.0, yalong9528/rasa). See corpus/understanding/README.md.';

const ANY = 'any_safety';

async function trainNetwork(learningRate: number, documents: readonly { text: string; label: string }[]): Promise<NlpInstance> {
  const nlp = await newNlp(learningRate, [LOCALE], false);
  for (const d of documents) nlp.addDocument(LOCALE, d.text, d.label);
  await quietly(() => nlp.train());
  return nlp;
}

async function importNetwork(learningRate: number, model: string): Promise<NlpInstance> {
  const nlp = await newNlp(learningRate, [LOCALE], false);
  importTrained(nlp, model);
  return nlp;
}

const scoresOf = (nlp: NlpInstance, features: string) => classificationsOf(nlp, LOCALE, features);

export class SafetyClassifier {
  private constructor(
    /** Which of the five (and, when not `binary`, none). */
    private readonly which: NlpInstance,
    /** Any of the five against none, when `binary`. */
    private readonly any: NlpInstance | null,
    readonly corpus: string,
    readonly sources: string | null,
    readonly settings: SafetySettings,
  ) {}

  static async train(lines: readonly CorpusLine[], sources: string | null = null, settings: SafetySettings = SAFETY_SETTINGS): Promise<SafetyClassifier> {
    const documents = lines.flatMap((l) => {
      const label = safetyLabel(l.label);
      const text = label === null ? '' : safetyFeatures(l.text, settings);
      return text === '' ? [] : [{ text, label: label! }];
    });
    const positives = documents.filter((d) => d.label !== NO_SAFETY);
    const which = await trainNetwork(settings.learningRate, settings.binary ? positives : documents);
    const any = settings.binary ? await trainNetwork(settings.learningRate, documents.map((d) => ({ text: d.text, label: d.label === NO_SAFETY ? NO_SAFETY : ANY }))) : null;
    return new SafetyClassifier(which, any, safetyCorpusHash(lines, settings), sources, settings);
  }

  static async fromJSON(json: string): Promise<SafetyClassifier> {
    const saved = JSON.parse(json) as { corpus: string; sources?: string; settings: SafetySettings; which: string; any: string | null };
    const { learningRate } = saved.settings;
    const any = saved.any === null ? null : await importNetwork(learningRate, saved.any);
    return new SafetyClassifier(await importNetwork(learningRate, saved.which), any, saved.corpus, saved.sources ?? null, saved.settings);
  }

  toJSON(): string {
    return JSON.stringify({ licence: LICENCE, corpus: this.corpus, sources: this.sources, settings: this.settings, which: this.which.export(true), any: this.any?.export(true) ?? null });
  }

  /** The five classes with their scores, best first; empty for text with nothing to classify. */
  async classify(text: string | FeatureText): Promise<SafetyScore[]> {
    const features = safetyFeatures(text, this.settings);
    if (features === '') return [];
    const which = (await scoresOf(this.which, features)).flatMap((c) => (CheckInClass.safeParse(c.intent).success ? [{ about: c.intent as CheckInClass, score: c.score }] : []));
    if (this.any === null) return which;
    const any = (await scoresOf(this.any, features)).find((c) => c.intent === ANY)?.score ?? 0;
    return which.slice(0, 1).map((c) => ({ about: c.about, score: any }));
  }
}
