/**
 * The trained intent classifier: NLP.js (`@nlpjs/nlp`'s NLU, a feed-forward network over bag-of-
 * token features; `@nlpjs/lang-en-min` tokenises and stems English: `@nlpjs/lang-en` is the same with
 * a 210 KB sentiment lexicon, which Forbear never asks for and start-up would parse). Chinese is fed as character
 * unigrams and bigrams rather than through `@nlpjs/lang-zh`: its dictionary segmenter and pinyin
 * stemmer read "失业了" as legal representation with certainty and take seconds to compile, while
 * character n-grams are the usual features for short Chinese text and need no dictionary, so
 * Cantonese (係咪, 嚟㗎) and typos still share most features with what was trained.
 * It learns from the corpus only; numbers, dates and safety words are the rules' job.
 *
 * Deterministic: NLP.js initialises its network without randomness and the corpus is read in file
 * order, so the same corpus always yields the same model (the test checks the committed one).
 */
import { createHash } from 'node:crypto';
import { containerBootstrap } from '@nlpjs/core';
import { Nlp } from '@nlpjs/nlp';
import { LangEn } from '@nlpjs/lang-en-min';
import type { Classification as NlpClassification, Nlp as NlpInstance } from '@nlpjs/nlp';
import { findQuantities, prepare } from '../numbers.js';
import { ClassifierLabel, type CorpusLine } from './corpus.js';

const HAN = /\p{Script=Han}/u;
export type Locale = 'zh' | 'en';
export const localeOf = (text: string): Locale => (HAN.test(text) ? 'zh' : 'en');

/** Numbers become one word per kind, so "每月还1500" and "每月还两千" are the same sentence to the model. */
const PLACEHOLDER: Record<Locale, Record<'amount' | 'months', string>> = {
  zh: { amount: ' 金额 ', months: ' 期数 ' },
  en: { amount: ' amount ', months: ' months ' },
};

/**
 * What training can be told, chosen by 5-fold cross-validation on the train part (`npm run -s
 * cv:understanding`, figures in the README): NLP.js's neural-network learning rate (its default is
 * 0.6) and whether Chinese is fed character bigrams as well as single characters.
 */
export interface ClassifierSettings {
  readonly learningRate: number;
  readonly zhBigrams: boolean;
}
export const CLASSIFIER_SETTINGS: ClassifierSettings = { learningRate: 0.3, zhBigrams: true };

export function featurize(text: string | FeatureText, zhBigrams: boolean = CLASSIFIER_SETTINGS.zhBigrams): string {
  const { locale, words } = asFeatureText(text);
  return locale === 'zh' ? characterGrams(words, zhBigrams ? 2 : 1) : words;
}

/** What both models start from: a message normalised, numbers as one word per kind, no currency signs. */
export interface FeatureText {
  readonly locale: Locale;
  readonly words: string;
}

/**
 * Made once per message (hybrid.ts) and given to both models: normalising and finding the numbers
 * is the larger part of featurising, and the same for the two.
 */
export function featureText(text: string): FeatureText {
  const prepared = prepare(text);
  const locale = localeOf(prepared);
  let out = '';
  let at = 0;
  for (const q of findQuantities(prepared)) {
    if (q.kind !== 'amount' && q.kind !== 'months') continue;
    out += prepared.slice(at, q.start) + PLACEHOLDER[locale][q.kind];
    at = q.end;
  }
  return { locale, words: (out + prepared.slice(at)).replace(/[$¥£€]/g, ' ').replace(/\s+/g, ' ').trim() };
}

/** A message's feature text: the one given, or made from its text (training and tools pass the text). */
export const asFeatureText = (text: string | FeatureText): FeatureText => (typeof text === 'string' ? featureText(text) : text);

/**
 * "我还了" → "我 还 了 我还 还了" (up to `maxN` characters); Latin words and digits stay whole, or
 * become what `latin` makes of them. NLP.js splits on the spaces.
 */
export function characterGrams(text: string, maxN: number, latin: (word: string) => string[] = (w) => [w]): string {
  const tokens: string[] = [];
  for (const m of text.matchAll(/(\p{Script=Han}+)|([\p{L}\p{N}']+)/gu)) {
    if (m[2] !== undefined) {
      tokens.push(...latin(m[2]));
      continue;
    }
    const chars = Array.from(m[1]!);
    for (let n = 1; n <= maxN; n++) for (let i = 0; i + n <= chars.length; i++) tokens.push(chars.slice(i, i + n).join(''));
  }
  return tokens.join(' ');
}

export interface Classification {
  readonly label: ClassifierLabel;
  readonly score: number;
}

/** An NLP.js NLU for the given locales; a locale without a language package is split on spaces only, never stemmed. */
export async function newNlp(learningRate: number, locales: readonly Locale[], withEnglish: boolean): Promise<NlpInstance> {
  const container = await containerBootstrap();
  container.use(Nlp);
  if (withEnglish) container.use(LangEn);
  const nlp = container.get('nlp');
  Object.assign(nlp.settings, { autoSave: false, autoLoad: false, calculateSentiment: false });
  nlp.useNlu('NeuralNlu', [...locales], undefined, { learningRate });
  for (const l of locales) nlp.addLanguage(l);
  return nlp;
}

/**
 * The NLU's classifications of `utterance`, every label with its score, best first — what
 * `nlp.process(locale, utterance).classifications` answers, without the rest of `process`: NLP.js
 * runs the NLU inside a pipeline that also loads and saves a dialogue context, looks for entities,
 * renders answers and runs actions, none of which Forbear's models have or read (no entities, slots,
 * answers or actions are trained; nothing after the NLU changes its classifications). The input is
 * the one `process` builds (nlp.js 4.26, `Nlp.process`); test/understanding/classifier.test.ts
 * checks both give the same labels and scores. Measured alone on this machine: ≈ 57 → 23 µs a call,
 * three calls a classified message (the intent model and both safety networks).
 */
export async function classificationsOf(nlp: NlpInstance, locale: string, utterance: string): Promise<NlpClassification[]> {
  const settings = { ...(nlp.settings['nlu'] as object | undefined) };
  return (await nlp.nluManager.process({ locale, utterance, context: {}, settings })).classifications;
}

/**
 * Reads an exported model into `nlp`. NLP.js keeps every training line again as `extraSentences`,
 * only to feed its language guesser (trigrams of each line, ≈ 25 ms at start-up). Forbear always
 * names the locale, so the guesser is never asked; a model read here therefore exports without
 * them (only a trained one is ever written, `train.ts`).
 */
export function importTrained(nlp: NlpInstance, exported: string): void {
  const model = JSON.parse(exported) as { nluManager: { extraSentences: unknown[] } };
  model.nluManager.extraSentences = [];
  nlp.import(model);
}

/**
 * The version of the feature code: bump it with any change to what `featurize` makes of a line
 * (here, in numbers.ts's `prepare`/`findQuantities`, text.ts's `normalize`) or to the split's code,
 * then retrain. The start-up check compares it and the corpus files' bytes with what the committed
 * model was built from (`sources`) instead of featurising the whole corpus; the test that the
 * committed model matches `corpusHash` of the current lines catches a change made without a bump.
 */
export const FEATURES_VERSION = 1;

/**
 * A fingerprint of what the network is shown: labels and features, so a change to the corpus or to
 * how numbers are read both mark the committed model stale.
 */
export function corpusHash(lines: readonly CorpusLine[]): string {
  const h = createHash('sha256');
  for (const l of lines) h.update(`${l.label}\0${featurize(l.text)}\n`);
  return h.digest('hex').slice(0, 16);
}

/** The model embeds its training lines, so it carries their licences (corpus/understanding/README.md). */
const LICENCE =
  'Trained from corpus/understanding: Forbear lines (MIT); NLU++ banking train part (CC BY 4.0, Casanueva et al., Findings of NAACL 2022); ' +
  'zh collection-call intents train part (Apache-2.0, yalong9528/rasa). See corpus/understanding/README.md.';

export class IntentClassifier {
  private constructor(
    private readonly nlp: NlpInstance,
    /** `corpusHash` of the lines it was trained on. */
    readonly corpus: string,
    /** What the lines were read from: `sourcesHash` (model.ts) at training time; null when not given. */
    readonly sources: string | null,
    readonly settings: ClassifierSettings,
  ) {}

  static async train(lines: readonly CorpusLine[], sources: string | null = null, settings: ClassifierSettings = CLASSIFIER_SETTINGS): Promise<IntentClassifier> {
    const nlp = await newNlp(settings.learningRate, ['zh', 'en'], true);
    for (const l of lines) {
      const text = featurize(l.text, settings.zhBigrams);
      if (text !== '') nlp.addDocument(localeOf(text), text, l.label);
    }
    await quietly(() => nlp.train());
    return new IntentClassifier(nlp, corpusHash(lines), sources, settings);
  }

  static async fromJSON(json: string): Promise<IntentClassifier> {
    const saved = JSON.parse(json) as { corpus: string; sources?: string; settings?: ClassifierSettings; model: string };
    // A model saved before its settings were recorded was trained with the defaults of then, which are these.
    const settings = saved.settings ?? CLASSIFIER_SETTINGS;
    const nlp = await newNlp(settings.learningRate, ['zh', 'en'], true);
    importTrained(nlp, saved.model);
    return new IntentClassifier(nlp, saved.corpus, saved.sources ?? null, settings);
  }

  toJSON(): string {
    return JSON.stringify({ licence: LICENCE, corpus: this.corpus, sources: this.sources, settings: this.settings, model: this.nlp.export(true) });
  }

  /** Every label with a score, best first; empty for text with nothing to classify. */
  async classify(text: string | FeatureText): Promise<Classification[]> {
    const features = featurize(text, this.settings.zhBigrams);
    if (features === '') return [];
    return (await classificationsOf(this.nlp, localeOf(features), features))
      .filter((c) => c.intent !== 'None' && ClassifierLabel.safeParse(c.intent).success)
      .map((c) => ({ label: c.intent as ClassifierLabel, score: c.score }));
  }
}

/** NLP.js logs every training epoch to the console; training output belongs to the caller. */
export async function quietly<T>(run: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => {};
  try {
    return await run();
  } finally {
    console.log = log;
  }
}
