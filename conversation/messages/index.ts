/**
 * Message catalogs: every sentence a cardholder or agent sees comes from here, in zh-CN, zh-TW
 * and en, with `{name}` placeholders filled by callers (amounts always from policy output).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { Language } from '../language.js';

const Catalog = z.record(z.string(), z.string());
type Catalog = z.infer<typeof Catalog>;

/** A language's catalog is `catalog/<lang>.json` merged with one file per area in `catalog/<lang>/`. */
function load(lang: Language): Catalog {
  const files = [new URL(`./catalog/${lang}.json`, import.meta.url)];
  const dir = new URL(`./catalog/${lang}/`, import.meta.url);
  if (existsSync(dir)) {
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) files.push(new URL(name, dir));
  }
  const merged: Catalog = {};
  for (const file of files) {
    for (const [key, text] of Object.entries(Catalog.parse(JSON.parse(readFileSync(file, 'utf8'))))) {
      if (key in merged) throw new Error(`message catalog ${lang}: key "${key}" is defined twice`);
      merged[key] = text;
    }
  }
  return merged;
}

export const catalogs: Readonly<Record<Language, Catalog>> = {
  'zh-CN': load('zh-CN'),
  'zh-TW': load('zh-TW'),
  en: load('en'),
};

export type MessageVars = Record<string, string | number>;

export function hasMessage(lang: Language, key: string): boolean {
  return catalogs[lang][key] !== undefined;
}

/** Looks a message up; a missing key is a programming error, so it throws rather than guess. */
export function t(lang: Language, key: string, vars: MessageVars = {}): string {
  const template = catalogs[lang][key];
  if (template === undefined) throw new Error(`message catalog ${lang} has no key "${key}"`);
  return template.replace(/\{(\w+)\}/g, (_whole, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`message "${key}" needs {${name}}`);
    return String(value);
  });
}

const LOCALE: Record<Language, string> = { 'zh-CN': 'zh-CN', 'zh-TW': 'zh-TW', en: 'en-US' };

/** One currency formatter per language and currency: building one costs far more than using it. */
const moneyFormats = new Map<string, Intl.NumberFormat>();

/** Formats integer minor units without ever converting to a float. */
export function formatMoney(amountMinor: number, currency: string, lang: Language): string {
  const negative = amountMinor < 0;
  const digits = String(Math.abs(amountMinor)).padStart(3, '0');
  const decimal = `${negative ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
  let format = moneyFormats.get(`${lang}|${currency}`);
  if (!format) {
    format = new Intl.NumberFormat(LOCALE[lang], { style: 'currency', currency });
    moneyFormats.set(`${lang}|${currency}`, format);
  }
  // Intl accepts a decimal string exactly (no binary rounding) since Node 19.
  return format.format(decimal as unknown as number);
}

/** Formats an ISO date (YYYY-MM-DD) the way each language writes dates. */
export function formatDate(isoDate: string, lang: Language): string {
  const [y, m, d] = isoDate.split('-').map(Number);
  return lang === 'en' ? `${isoDate}` : `${y}年${m}月${d}日`;
}
