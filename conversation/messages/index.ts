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

/**
 * Every message key, as the zh-CN catalog spells it (the other catalogs have the same keys: test/messages),
 * so a mistyped key fails to compile. A new area file in catalog/zh-CN/ is added here.
 */
type KeysOf<T> = keyof T & string;
export type MessageKey =
  | KeysOf<typeof import('./catalog/zh-CN.json', { with: { type: 'json' } })>
  | KeysOf<typeof import('./catalog/zh-CN/agent.json', { with: { type: 'json' } })>
  | KeysOf<typeof import('./catalog/zh-CN/compliance.json', { with: { type: 'json' } })>
  | KeysOf<typeof import('./catalog/zh-CN/dialog.json', { with: { type: 'json' } })>
  | KeysOf<typeof import('./catalog/zh-CN/lifecycle.json', { with: { type: 'json' } })>
  | KeysOf<typeof import('./catalog/zh-CN/ops.json', { with: { type: 'json' } })>
  | KeysOf<typeof import('./catalog/zh-CN/review.json', { with: { type: 'json' } })>
  | KeysOf<typeof import('./catalog/zh-CN/transcripts.json', { with: { type: 'json' } })>
  | KeysOf<typeof import('./catalog/zh-CN/web.json', { with: { type: 'json' } })>
  | KeysOf<typeof import('./catalog/zh-CN/wechat.json', { with: { type: 'json' } })>;

export type MessageVars = Record<string, string | number>;

/** A key built at run time ("handoff." + a reason) that the catalogs may or may not have. */
export function hasMessage(lang: Language, key: string): key is MessageKey {
  return catalogs[lang][key] !== undefined;
}

/** A message key in stored data (a queued contact job): checked where it is read back. */
export const MessageKeyName = z.custom<MessageKey>((v) => typeof v === 'string' && Object.hasOwn(catalogs['zh-CN'], v), 'unknown message key');

/** Looks a message up; a missing key is a programming error, so it throws rather than guess. */
export function t(lang: Language, key: MessageKey, vars: MessageVars = {}): string {
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

/**
 * How a cardholder writes numeric dates, so English replies use their order: `mdy` (US, "04/18/1990"),
 * `dmy` ("18/04/1990"), or `iso` (2026-12-04, unambiguous everywhere) until they have shown one.
 */
export const DateStyle = z.enum(['iso', 'mdy', 'dmy']);
export type DateStyle = z.infer<typeof DateStyle>;

/** Formats an ISO date (YYYY-MM-DD) the way each language writes dates; English in the cardholder's order. */
export function formatDate(isoDate: string, lang: Language, style: DateStyle = 'iso'): string {
  const [y, m, d] = isoDate.split('-') as [string, string, string];
  if (lang !== 'en') return `${Number(y)}年${Number(m)}月${Number(d)}日`;
  if (style === 'mdy') return `${m}/${d}/${y}`;
  if (style === 'dmy') return `${d}/${m}/${y}`;
  return isoDate;
}

const weekdayFormats = new Map<Language, Intl.DateTimeFormat>();

/** The weekday's name ("星期五", "Friday"), for reading a date back with the day people said. */
export function formatWeekday(isoDate: string, lang: Language): string {
  let format = weekdayFormats.get(lang);
  if (!format) {
    format = new Intl.DateTimeFormat(LOCALE[lang], { weekday: 'long', timeZone: 'UTC' });
    weekdayFormats.set(lang, format);
  }
  return format.format(new Date(`${isoDate}T00:00:00Z`));
}
