/**
 * Loads `lexicon.yaml`, validates it, and compiles each pattern list into one regular expression
 * once at start-up, so a message costs a few dozen regex tests however large the lexicon grows.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { compiledYaml, HardshipReason, yaml } from '../../policy/index.js';
import { Concession, Intent, UnderstandingSignal } from '../../conversation/understanding.js';

/** Placeholders a pattern may use for a number already read as an amount or a plan length. */
export const AMOUNT_TAG = '⟨a⟩';
export const MONTHS_TAG = '⟨m⟩';

const Patterns = z.strictObject({ zh: z.array(z.string()).default([]), en: z.array(z.string()).default([]) });
const Ordinals = z.record(z.string(), z.number().int().positive());

export const LexiconFile = z.strictObject({
  signals: z.record(UnderstandingSignal, Patterns),
  intents: z.array(Patterns.extend({ intent: Intent, confidence: z.number().min(0).max(1).optional() })),
  reasons: z.array(Patterns.extend({ reason: HardshipReason })),
  concessions: z.array(Patterns.extend({ concession: Concession })),
  slots: z.strictObject({ income: Patterns, expenses: Patterns, payment: Patterns }),
  options: z.strictObject({ ordinals: z.strictObject({ zh: Ordinals, en: Ordinals }), cue: Patterns }),
});
export type LexiconFile = z.infer<typeof LexiconFile>;

function compile(p: z.infer<typeof Patterns>, flags = ''): RegExp {
  const sources = [...p.zh, ...p.en].map((s) => `(?:${s.replaceAll('@AMOUNT', AMOUNT_TAG).replaceAll('@MONTHS', MONTHS_TAG)})`);
  return new RegExp(sources.length > 0 ? sources.join('|') : '(?!)', flags);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function compileLexicon(file: LexiconFile) {
  const ordinals = new Map([...Object.entries(file.options.ordinals.zh), ...Object.entries(file.options.ordinals.en)]);
  const words = [...ordinals.keys()].sort((a, b) => b.length - a.length).map(escape);
  return {
    signals: Object.entries(file.signals).map(([signal, p]) => ({ signal: signal as UnderstandingSignal, re: compile(p) })),
    intents: file.intents.map((e) => ({ intent: e.intent, confidence: e.confidence ?? 0.9, re: compile(e) })),
    reasons: file.reasons.map((e) => ({ reason: e.reason, re: compile(e) })),
    concessions: file.concessions.map((e) => ({ concession: e.concession, re: compile(e) })),
    income: compile(file.slots.income, 'g'),
    expenses: compile(file.slots.expenses, 'g'),
    payment: compile(file.slots.payment),
    ordinalWord: new RegExp(`(?:^|\\b|(?<=[^a-z]))(${words.join('|')})(?![a-z])`),
    ordinals,
    optionCue: compile(file.options.cue),
  };
}
export type Lexicon = ReturnType<typeof compileLexicon>;

export function loadLexicon(url: URL = new URL('./lexicon.yaml', import.meta.url)): Lexicon {
  const text = readFileSync(url, 'utf8');
  return compileLexicon(LexiconFile.parse(compiledYaml(url, text) ?? yaml().parse(text)));
}
