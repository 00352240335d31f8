/**
 * One normal form for every matcher: NFKC (fullwidth digits and punctuation become ASCII),
 * lower case, traditional characters folded to simplified. Lexicon patterns are written once, in
 * simplified Chinese, and still match zh-TW messages.
 */
import { createRequire } from 'node:module';
import * as TraditionalToSimplified from 'opencc-js/t2cn';
import type * as OpenCC from 'opencc-js';
import type { Language } from '../../conversation/language.js';

// OpenCC's tw→cn tables are small (≈ 40 ms to load); its cn→tw tables are most of the package (≈ 0.25 s)
// and are only needed to weigh simplified evidence in a message that may be zh-TW (detectLanguage).
const toSimplified = TraditionalToSimplified.Converter({ from: 'tw', to: 'cn' });
let cnToTw: ((text: string) => string) | undefined;
const toTraditional = (text: string): string =>
  (cnToTw ??= (createRequire(import.meta.url)('opencc-js/cn2t') as typeof OpenCC).Converter({ from: 'cn', to: 'tw' }))(text);

const CURLY_QUOTES = /[‘’ʼ´`]/g;
const HAN = /\p{Script=Han}/u;

export function normalize(text: string): string {
  return toSimplified(text.normalize('NFKC').replace(CURLY_QUOTES, "'").toLowerCase());
}

/** Characters that change when folded one way are evidence for the other script. */
function differingChars(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  if (x.length !== y.length) return x.length === 0 ? 0 : 1;
  return x.reduce((n, ch, i) => (ch === y[i] ? n : n + 1), 0);
}

/**
 * Script evidence decides zh-TW versus zh-CN; a message written only in characters shared by both
 * ("好的") keeps the conversation's Chinese variant. Latin-only text is English.
 */
export function detectLanguage(text: string, previous: Language | null): Language {
  const nfkc = text.normalize('NFKC');
  if (!HAN.test(nfkc)) return /[a-z]/i.test(nfkc) || previous === null ? 'en' : previous;
  const traditional = differingChars(nfkc, toSimplified(nfkc));
  // No traditional evidence in a conversation that is not zh-TW: zh-CN whatever the simplified evidence.
  if (traditional === 0 && previous !== 'zh-TW') return 'zh-CN';
  const simplified = differingChars(nfkc, toTraditional(nfkc));
  if (traditional > simplified) return 'zh-TW';
  if (simplified > traditional) return 'zh-CN';
  return previous === 'zh-TW' ? 'zh-TW' : 'zh-CN';
}
