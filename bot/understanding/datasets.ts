/**
 * Scoring understanding on the shared development datasets (never copied into the repository):
 * NLU++ banking (English, multi-label) and Chinese collection-call intents (Rasa markdown).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { Intent, type Understanding, type UnderstandingContext } from '../../conversation/understanding.js';

export const NluppExample = z.object({ text: z.string(), intents: z.array(z.string()).default([]) });
export type NluppExample = z.infer<typeof NluppExample>;

export const LabelledUtterance = z.object({ label: z.string(), text: z.string() });
export type LabelledUtterance = z.infer<typeof LabelledUtterance>;

export function loadNlupp(datasets: string): NluppExample[] {
  const dir = join(datasets, 'nlupp-banking');
  return readdirSync(dir)
    .filter((f) => /^fold\d+\.json$/.test(f))
    .sort()
    .flatMap((f) => z.array(NluppExample).parse(JSON.parse(readFileSync(join(dir, f), 'utf8'))));
}

/** Rasa NLU markdown: `## intent:NAME` headings followed by `- utterance` lines. */
export function parseRasaMarkdown(markdown: string): LabelledUtterance[] {
  const out: LabelledUtterance[] = [];
  let label: string | null = null;
  for (const line of markdown.split(/\r?\n/)) {
    const heading = /^##\s*(?:intent:)?\s*(\S+)/.exec(line);
    if (heading) label = heading[1]!;
    const item = /^\s*-\s+(.+?)\s*$/.exec(line);
    // Stray quotes and trailing ids are crawl noise in the source file ("现在没空\"").
    if (item && label) out.push({ label, text: item[1]!.replace(/["\d]+$/, '') || item[1]! });
  }
  return out;
}

export function loadZhCollection(datasets: string): LabelledUtterance[] {
  return parseRasaMarkdown(readFileSync(join(datasets, 'zh-collection-intents', 'nlu_expired.md'), 'utf8'));
}

/**
 * Their collection-call intents mapped to ours. The first intent is the natural reading; the others
 * are also right for a one-line message without context ("不是" answers "are you X?" as a denial
 * and as "wrong person" alike). Labels with no counterpart in our taxonomy are left out and counted.
 */
export const ZH_COLLECTION_MAP: Readonly<Record<string, readonly Intent[]>> = {
  affirm: ['affirm'],
  affirm_know: ['affirm'],
  affirm_self: ['affirm'],
  affirm_receive_reminder: ['affirm'],
  wrongcall: ['wrong_person', 'deny'],
  family_friend: ['wrong_person'],
  busyother: ['wrong_person', 'busy_later'],
  inform_busy: ['busy_later'],
  cantrepayment: ['cannot_pay', 'deny'],
  shortofmoney: ['cannot_pay'],
  repayment_today: ['promise_to_pay'],
  refuse: ['complaint', 'stop_contact'],
  reqmore_amount: ['ask_balance'],
  reqmore_when: ['ask_due_date'],
  reqmore_who: ['ask_if_bot'],
};

export const BinaryScore = z.object({
  label: z.string(),
  ours: z.string(),
  support: z.number().int(),
  tp: z.number().int(),
  fp: z.number().int(),
  fn: z.number().int(),
  precision: z.number(),
  recall: z.number(),
  f1: z.number(),
});
export type BinaryScore = z.infer<typeof BinaryScore>;

export const IntentAccuracy = z.object({
  label: z.string(),
  mappedTo: z.array(Intent),
  support: z.number().int(),
  primary: z.number(),
  accepted: z.number(),
  misses: z.array(z.object({ text: z.string(), got: Intent })),
});
export type IntentAccuracy = z.infer<typeof IntentAccuracy>;

export const MeasureReport = z.object({
  nlupp: z.object({ utterances: z.number().int(), scores: z.array(BinaryScore) }),
  zhCollection: z.object({
    utterances: z.number().int(),
    mapped: z.number().int(),
    unmappedLabels: z.array(z.string()),
    perIntent: z.array(IntentAccuracy),
    overallPrimary: z.number(),
    overallAccepted: z.number(),
  }),
});
export type MeasureReport = z.infer<typeof MeasureReport>;

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

export function binaryScore(label: string, ours: string, pairs: ReadonlyArray<{ actual: boolean; predicted: boolean }>): BinaryScore {
  const tp = pairs.filter((p) => p.actual && p.predicted).length;
  const fp = pairs.filter((p) => !p.actual && p.predicted).length;
  const fn = pairs.filter((p) => p.actual && !p.predicted).length;
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return { label, ours, support: tp + fn, tp, fp, fn, precision, recall, f1: ratio(2 * precision * recall, precision + recall) };
}

/** NLU++ label → our intent, compared one against one on every utterance. */
export const NLUPP_PAIRS: ReadonlyArray<readonly [string, Intent]> = [
  ['handoff', 'request_human'],
  ['affirm', 'affirm'],
  ['deny', 'deny'],
  ['thank', 'thanks'],
  ['greet', 'greeting'],
];

export async function measure(understanding: Understanding, datasets: string, today: string): Promise<MeasureReport> {
  const context = (language: UnderstandingContext['language']): UnderstandingContext => ({
    language,
    expecting: 'none',
    today,
    recentTurns: [],
  });

  const nlupp = loadNlupp(datasets);
  const nluppIntents = await Promise.all(nlupp.map(async (x) => (await understanding.understand(x.text, context('en'))).intent));
  const scores = NLUPP_PAIRS.map(([label, ours]) =>
    binaryScore(label, ours, nlupp.map((x, i) => ({ actual: x.intents.includes(label), predicted: nluppIntents[i] === ours }))),
  );

  const zh = loadZhCollection(datasets);
  const mapped = zh.filter((u) => ZH_COLLECTION_MAP[u.label]);
  const got = await Promise.all(mapped.map(async (u) => (await understanding.understand(u.text, context('zh-CN'))).intent));
  const labels = [...new Set(mapped.map((u) => u.label))];
  const perIntent = labels.map((label) => {
    const allowed = ZH_COLLECTION_MAP[label]!;
    const rows = mapped.map((u, i) => ({ u, got: got[i]! })).filter((r) => r.u.label === label);
    return {
      label,
      mappedTo: [...allowed],
      support: rows.length,
      primary: ratio(rows.filter((r) => r.got === allowed[0]).length, rows.length),
      accepted: ratio(rows.filter((r) => allowed.includes(r.got)).length, rows.length),
      misses: rows.filter((r) => !allowed.includes(r.got)).map((r) => ({ text: r.u.text, got: r.got })),
    };
  });
  const hits = (accept: (allowed: readonly Intent[], g: Intent) => boolean) =>
    ratio(mapped.filter((u, i) => accept(ZH_COLLECTION_MAP[u.label]!, got[i]!)).length, mapped.length);
  return {
    nlupp: { utterances: nlupp.length, scores },
    zhCollection: {
      utterances: zh.length,
      mapped: mapped.length,
      unmappedLabels: [...new Set(zh.filter((u) => !ZH_COLLECTION_MAP[u.label]).map((u) => u.label))],
      perIntent,
      overallPrimary: hits((a, g) => a[0] === g),
      overallAccepted: hits((a, g) => a.includes(g)),
    },
  };
}
