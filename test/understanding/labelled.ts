/** Loads and scores our own labelled set (labelled.yaml); shared by its test and ad-hoc runs. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { RuleUnderstanding } from '../../bot/understanding/rules.js';
import { Entities, Expecting, Intent, UnderstandingSignal, type UnderstandingResult } from '../../conversation/understanding.js';
import { Language } from '../../conversation/language.js';

export const TODAY = '2025-03-12';

export const LabelledCase = z.strictObject({
  text: z.string().min(1),
  lang: Language,
  intent: Intent,
  expecting: Expecting.default('none'),
  /** The conversation's language so far, for messages with no script evidence ("1500"). */
  conversation: Language.nullable().default(null),
  entities: Entities.partial().default({}),
  signals: z.array(UnderstandingSignal).default([]),
});
export type LabelledCase = z.infer<typeof LabelledCase>;

export function loadLabelled(): LabelledCase[] {
  return z.array(LabelledCase).parse(parse(readFileSync(new URL('./labelled.yaml', import.meta.url), 'utf8')));
}

export interface Scored {
  readonly c: LabelledCase;
  readonly r: UnderstandingResult;
  readonly intentOk: boolean;
  readonly entityMisses: string[];
  readonly missedSignals: string[];
}

export async function scoreLabelled(cases: LabelledCase[]): Promise<Scored[]> {
  const u = new RuleUnderstanding();
  return Promise.all(
    cases.map(async (c) => {
      const r = await u.understand(c.text, { language: c.conversation, expecting: c.expecting, today: TODAY, recentTurns: [] });
      const entityMisses = Object.entries(c.entities)
        .filter(([k, v]) => r.entities[k as keyof typeof r.entities] !== v)
        .map(([k, v]) => `${k}: want ${v}, got ${r.entities[k as keyof typeof r.entities]}`);
      return { c, r, intentOk: r.intent === c.intent, entityMisses, missedSignals: c.signals.filter((s) => !r.signals.includes(s)) };
    }),
  );
}
