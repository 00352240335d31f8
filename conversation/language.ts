/**
 * The conversation's languages and how the conversation follows the cardholder between them. Every
 * catalog, channel and engine speaks in these three; a channel's locale is read into one here.
 */
import { z } from 'zod';

export const Language = z.enum(['zh-CN', 'zh-TW', 'en']);
export type Language = z.infer<typeof Language>;

const CJK = /[\u3400-\u9fff]/g;
const LATIN_WORD = /[a-z]{2,}/gi;
const count = (pattern: RegExp, text: string) => text.match(pattern)?.length ?? 0;

/**
 * Language follows the cardholder, but only on positive evidence: "OK" does not turn 中文 into
 * English, and a "谢谢" at the end of an English sentence does not turn English into Chinese — an
 * English conversation changes only when the message is written mostly in Chinese.
 */
export function nextLanguage(current: Language, text: string, detected: Language): Language {
  const chinese = count(CJK, text);
  if (current === 'en') return chinese > count(LATIN_WORD, text) ? detected : current;
  if (chinese === 0) return count(LATIN_WORD, text) > 0 && detected === 'en' ? 'en' : current;
  return detected === 'zh-TW' ? 'zh-TW' : current;
}

export function localeLanguage(locale: string | undefined): Language | null {
  if (!locale) return null;
  const lower = locale.toLowerCase();
  if (lower.startsWith('zh')) return /tw|hk|mo|hant/.test(lower) ? 'zh-TW' : 'zh-CN';
  if (lower.startsWith('en')) return 'en';
  return Language.safeParse(locale).success ? (locale as Language) : null;
}
