/**
 * Readers for the shared datasets beside the repository (../shared/datasets): NLU++ banking
 * (English, multi-label) and Chinese collection-call intents (Rasa markdown). The classifier's
 * corpus copies their train parts; the measurement reads their test parts in place (heldout.ts).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Intent } from '../../conversation/understanding.js';

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
