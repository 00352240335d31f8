/**
 * The simulated cardholders' phrasebook: `simulate/utterances/<lang>.yaml`, validated once at load.
 * Keeping the wording in data files lets anyone add phrasings (or a language) without touching code.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { HardshipReason } from '../policy/index.js';
import { Language } from '../conversation/language.js';

const Phrases = z.array(z.string().min(1)).min(1);

export const VulnerabilityKind = z.enum(['self_harm', 'bereavement', 'serious_illness']);
export type VulnerabilityKind = z.infer<typeof VulnerabilityKind>;
export const InjectionKind = z.enum(['manager', 'system']);
export type InjectionKind = z.infer<typeof InjectionKind>;

export const Phrasebook = z
  .object({
    opener: Phrases,
    last4: Phrases,
    dob: Phrases,
    reason: z.record(HardshipReason, Phrases),
    income: Phrases,
    income_none: Phrases,
    expenses: Phrases,
    haggle_amount: Phrases,
    haggle_months: Phrases,
    accept: Phrases,
    decline: Phrases,
    consent: Phrases,
    human: Phrases,
    /** Replies to a safety check-in. */
    yes: Phrases,
    no: Phrases,
    vulnerable: z.record(VulnerabilityKind, Phrases),
    injection: z.record(InjectionKind, Phrases),
  })
  .strict();
export type Phrasebook = z.infer<typeof Phrasebook>;

function load(lang: Language): Phrasebook {
  const file = new URL(`./utterances/${lang}.yaml`, import.meta.url);
  return Phrasebook.parse(parse(readFileSync(file, 'utf8')));
}

export const PHRASEBOOKS: Readonly<Record<Language, Phrasebook>> = {
  'zh-CN': load('zh-CN'),
  'zh-TW': load('zh-TW'),
  en: load('en'),
};

/** Fills `{name}` placeholders; a placeholder without a value is a bug in the phrasebook. */
export function fill(template: string, vars: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`phrase "${template}" needs {${name}}`);
    return String(value);
  });
}
