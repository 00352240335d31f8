/**
 * Prompt templates live as files beside this loader so they can be reviewed and changed without
 * touching code. The recorded version carries a hash of everything the model is shown (system
 * prompt, examples, output schema), so any edit yields a new version in the results and logs.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { Entities, Expecting, UnderstandingContext } from '../conversation/understanding.js';
import { IsoDate } from '../policy/index.js';
import { UnderstandingOutput } from './understanding/v1/output.js';

export { UnderstandingOutput };

const TEMPLATE = 'understanding/v1';
const read = (file: string) => readFileSync(new URL(`./${TEMPLATE}/${file}`, import.meta.url), 'utf8');

const Turn = UnderstandingContext.shape.recentTurns.element;

/** What one model call is about; every text in it has already been redacted. */
export const PromptInput = z.object({
  today: IsoDate,
  expecting: Expecting,
  recentTurns: z.array(Turn),
  message: z.string(),
});
export type PromptInput = z.infer<typeof PromptInput>;

/** Examples omit unset entities; they are filled with null so each one is a complete output. */
const nullEntities = Object.fromEntries(Object.keys(Entities.shape).map((k) => [k, null]));

export const PromptExample = z.object({
  today: IsoDate,
  expecting: Expecting,
  recent_turns: z.array(Turn),
  message: z.string(),
  expected: z
    .object({ entities: z.record(z.string(), z.unknown()) })
    .loose()
    .transform((e) => ({ ...e, entities: { ...nullEntities, ...e.entities } }))
    .pipe(UnderstandingOutput),
});
export type PromptExample = z.infer<typeof PromptExample>;

const examplesSource = read('examples.yaml');
/** Labelled lines from the classifier's train part (generated), so both engines learn from one corpus. */
const shotsSource = read('corpus-shots.yaml');
const CorpusShot = z.object({ text: z.string(), label: z.string() });
const corpusShots = z.array(CorpusShot).parse(parseYaml(shotsSource));
const systemPrompt = `${read('system.md')}\n# Labelled examples (message → intent, or signal.<name> for a safety signal)\n${corpusShots
  .map((s) => `- ${JSON.stringify(s.text)} → ${s.label}`)
  .join('\n')}\n`;
export const promptExamples: readonly PromptExample[] = z.array(PromptExample).parse(parseYaml(examplesSource));

const outputSchemaText = JSON.stringify(z.toJSONSchema(UnderstandingOutput));

export const PROMPT_VERSION = `${TEMPLATE}+${createHash('sha256')
  .update(systemPrompt)
  .update('\0')
  .update(examplesSource)
  .update('\0')
  .update(shotsSource)
  .update('\0')
  .update(outputSchemaText)
  .digest('hex')
  .slice(0, 8)}`;

/**
 * The cardholder's words travel inside a JSON string, never spliced into the instructions, so
 * they stay data however they are phrased.
 */
function userContent(input: PromptInput): string {
  return JSON.stringify({
    today: input.today,
    expecting: input.expecting,
    recent_turns: input.recentTurns,
    cardholder_message: input.message,
  });
}

export function renderUnderstandingMessages(input: PromptInput): ChatCompletionMessageParam[] {
  const shots = promptExamples.flatMap((ex): ChatCompletionMessageParam[] => [
    {
      role: 'user',
      content: userContent({ today: ex.today, expecting: ex.expecting, recentTurns: ex.recent_turns, message: ex.message }),
    },
    { role: 'assistant', content: JSON.stringify(ex.expected) },
  ]);
  return [{ role: 'system', content: systemPrompt }, ...shots, { role: 'user', content: userContent(input) }];
}
