/**
 * The labelled corpus the classifier learns from (`corpus/understanding/`, see its README for
 * provenance and licences): Forbear's own lines in three languages, and the TRAIN parts of the
 * shared datasets, copied into the repository with their licence notes so the model can be
 * rebuilt from a clean clone. Their test parts are read in place by the measurement only.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { Language } from '../../../conversation/language.js';
import { Intent, TextualSignal } from '../../../conversation/understanding.js';
import { ZH_COLLECTION_MAP, loadNlupp, loadZhCollection } from '../datasets.js';
import { SPLIT_SEED, TEST_SHARE, isHeldOut, type SplitSource } from './split.js';
import { yaml } from '../../../policy/index.js';

export const CORPUS_DIR = new URL('../../../corpus/understanding/', import.meta.url);
const EXTERNAL_DIR = new URL('external/', CORPUS_DIR);

/** What the classifier tells apart: our intents, plain statements of fact, and safety signals. */
export const ClassifierLabel = z.union([
  Intent,
  z.literal('inform'),
  z.templateLiteral(['signal.', TextualSignal]),
]);
export type ClassifierLabel = z.infer<typeof ClassifierLabel>;

/** The intent a label reads as: `inform` (a plain statement of fact) is `unknown`; a `signal.*` label is no intent. */
export const labelIntent = (label: ClassifierLabel): Intent | null =>
  label.startsWith('signal.') ? null : label === 'inform' ? 'unknown' : (label as Intent);

export const CorpusLine = z.object({ text: z.string().min(1), label: ClassifierLabel, lang: Language, source: z.enum(['forbear', 'nlupp', 'zhCollection']) });
export type CorpusLine = z.infer<typeof CorpusLine>;

const Utterances = z.array(z.union([z.string(), z.number()]).transform(String));
const OwnCorpusFile = z.strictObject({
  version: z.number().int(),
  labels: z.record(ClassifierLabel, z.partialRecord(Language, Utterances)),
});
const ExternalFile = z.strictObject({
  source: z.enum(['nlupp', 'zhCollection']),
  lines: z.array(z.strictObject({ text: z.string(), label: ClassifierLabel, original: z.string() })),
});

function loadOwnFile(name: string): CorpusLine[] {
  const file = OwnCorpusFile.parse(yaml().parse(readFileSync(new URL(name, CORPUS_DIR), 'utf8')));
  return Object.entries(file.labels).flatMap(([label, byLang]) =>
    Object.entries(byLang).flatMap(([lang, texts]) =>
      (texts ?? []).map((text) => CorpusLine.parse({ text, label, lang, source: 'forbear' })),
    ),
  );
}

/** Forbear's own corpus: split into train and held-out parts. */
export const loadOwnCorpus = (): CorpusLine[] => loadOwnFile(OWN_FILES[0]);

/**
 * The later rounds of Forbear lines (`forbear-extra.yaml`, `forbear-safety.yaml`, `forbear-safety-4.yaml`, `forbear-safety-5.yaml`, `forbear-safety-6.yaml`, `forbear-safety-7.yaml`, `forbear-safety-9.yaml`, and the eleventh round's `forbear-safety-11-zh-cn.yaml`, `forbear-safety-11-zh-tw.yaml`), training only, so
 * the held-out part is the first round's and its figures stay comparable. A line whose text the
 * split would hold out is left out altogether: no text that could equal a held-out line is trained on.
 */
export const loadExtraTraining = (): CorpusLine[] =>
  OWN_FILES.slice(1).flatMap(loadOwnFile).filter((l) => !isHeldOut('forbear', l.text));

const OWN_FILES = ['forbear.yaml', 'forbear-extra.yaml', 'forbear-safety.yaml', 'forbear-safety-4.yaml', 'forbear-safety-5.yaml', 'forbear-safety-6.yaml', 'forbear-safety-7.yaml', 'forbear-safety-9.yaml', 'forbear-safety-11-zh-cn.yaml', 'forbear-safety-11-zh-tw.yaml'] as const;
const externalTrainFiles = (): string[] => readdirSync(EXTERNAL_DIR).filter((f) => f.endsWith('.train.yaml')).sort();

function loadExternalTrain(): CorpusLine[] {
  return externalTrainFiles()
    .flatMap((f) => {
      const file = ExternalFile.parse(yaml().parse(readFileSync(new URL(f, EXTERNAL_DIR), 'utf8')));
      const lang = file.source === 'nlupp' ? 'en' : 'zh-CN';
      return file.lines.map((l) => ({ text: l.text, label: l.label, lang, source: file.source }) satisfies CorpusLine);
    });
}

const split = (lines: CorpusLine[], part: 'train' | 'test') => lines.filter((l) => isHeldOut(l.source, l.text) === (part === 'test'));

/** Everything the classifier is trained on: no line of any test part. */
export function trainingLines(): CorpusLine[] {
  return [...split(loadOwnCorpus(), 'train'), ...loadExtraTraining(), ...loadExternalTrain()];
}

/**
 * A fingerprint of what `trainingLines` reads — the bytes of every corpus file and the split's
 * settings — without parsing any of it: cheap enough to check at every start that the committed
 * model is current. Together with the feature code's version (`FEATURES_VERSION`) it stands for
 * the featurised lines `corpusHash` fingerprints.
 */
export function trainingFilesHash(): string {
  const h = createHash('sha256').update(`${SPLIT_SEED}\0${JSON.stringify(TEST_SHARE)}\0`);
  const files = [...OWN_FILES.map((f) => new URL(f, CORPUS_DIR)), ...externalTrainFiles().map((f) => new URL(f, EXTERNAL_DIR))];
  for (const file of files) h.update(`${file.pathname.slice(CORPUS_DIR.pathname.length)}\0`).update(readFileSync(file)).update('\0');
  return h.digest('hex').slice(0, 16);
}

export const ownTestLines = (): CorpusLine[] => split(loadOwnCorpus(), 'test');

/**
 * NLU++ labels onto ours. An utterance with several labels takes the first that applies; banking
 * requests we do not serve (transfers, cards, mortgages) are `unknown`, which teaches the
 * classifier what is not one of ours.
 */
const NLUPP_ORDER: ReadonlyArray<readonly [string, ClassifierLabel]> = [
  ['handoff', 'request_human'],
  ['deny', 'deny'],
  ['affirm', 'affirm'],
  ['thank', 'thanks'],
  ['greet', 'greeting'],
  ['balance', 'ask_balance'],
];
export const nluppLabel = (intents: readonly string[]): ClassifierLabel =>
  NLUPP_ORDER.find(([theirs]) => intents.includes(theirs))?.[1] ?? 'unknown';

/** Their collection-call labels onto ours: the natural reading; labels we have no intent for are `unknown`. */
export const zhCollectionLabel = (label: string): ClassifierLabel => ZH_COLLECTION_MAP[label]?.[0] ?? 'unknown';

export interface SharedLine extends CorpusLine {
  /** The dataset's own label(s), for reporting. */
  readonly original: string;
}

export function sharedLines(datasets: string, part: 'train' | 'test'): SharedLine[] {
  const pick = (source: SplitSource, text: string) => isHeldOut(source, text) === (part === 'test');
  const nlupp = loadNlupp(datasets)
    .filter((x) => pick('nlupp', x.text))
    .map((x): SharedLine => ({ text: x.text, label: nluppLabel(x.intents), lang: 'en', source: 'nlupp', original: x.intents.join('+') }));
  const zh = loadZhCollection(datasets)
    .filter((x) => pick('zhCollection', x.text))
    .map((x): SharedLine => ({ text: x.text, label: zhCollectionLabel(x.label), lang: 'zh-CN', source: 'zhCollection', original: x.label }));
  return [...nlupp, ...zh];
}

const LICENCE: Record<'nlupp' | 'zhCollection', string> = {
  nlupp: [
    'TRAIN part of NLU++ banking (folds 0-9), split by bot/understanding/classifier/split.ts; the test part is not in this repository.',
    'Source: PolyAI-LDN/task-specific-datasets, commit 57ec275d8078af65b7731c2a98be812d844a6d6b, nlupp/data/banking/.',
    'Licence: Creative Commons Attribution 4.0 International (CC BY 4.0). Changes: labels mapped onto Forbear intents, slots dropped.',
    'Citation: Casanueva et al., "NLU++: A Multi-Label, Slot-Rich, Generalisable Dataset for Natural Language Understanding',
    'in Task-Oriented Dialogue", Findings of NAACL 2022.',
  ].join('\n'),
  zhCollection: [
    'TRAIN part of the Chinese collection-call intents, split by bot/understanding/classifier/split.ts; the test part is not in this repository.',
    'Source: yalong9528/rasa (a fork of RasaHQ/rasa), commit 0090e465620f77cc425ed3a2515d37e83917dcc2, data/nlu_expired.md.',
    'Licence: Apache License 2.0 (the fork\'s licence). Changes: labels mapped onto Forbear intents.',
  ].join('\n'),
};

/** Copies the train parts of the shared datasets into the corpus, each file with its licence note. */
export function importSharedTrain(datasets: string): Record<string, number> {
  const lines = sharedLines(datasets, 'train');
  const counts: Record<string, number> = {};
  for (const source of ['nlupp', 'zhCollection'] as const) {
    const mine = lines.filter((l) => l.source === source).map((l) => ({ text: l.text, label: l.label, original: l.original }));
    const header = LICENCE[source].split('\n').map((s) => `# ${s}`).join('\n');
    writeFileSync(new URL(`${source}.train.yaml`, EXTERNAL_DIR), `${header}\n${yaml().stringify({ source, lines: mine }, { lineWidth: 0 })}`);
    counts[source] = mine.length;
  }
  return counts;
}

/**
 * Few-shot lines for the LLM prompt, drawn from Forbear's TRAIN part only: the first two lines of
 * each label in each language (file order, so the choice is stable and reviewable).
 */
export function promptShots(lines: readonly CorpusLine[] = trainingLines()): { text: string; label: ClassifierLabel }[] {
  const taken = new Map<string, number>();
  return lines
    .filter((l) => l.source === 'forbear')
    .filter((l) => {
      const key = `${l.label}|${l.lang}`;
      const n = taken.get(key) ?? 0;
      taken.set(key, n + 1);
      return n < 2;
    })
    .map((l) => ({ text: l.text, label: l.label }));
}
