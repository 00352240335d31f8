/**
 * Every number a message mentions, however it is written ("1,500", "1.5k", "5千", "1.2万",
 * "三千五", "一万二", "十八", "第二", "半年", "two weeks", "the second one"). The guard only needs
 * the set of candidates, not which role each plays, so this reads loosely and over-collects:
 * a spurious candidate can at worst let through a number that is in the text anyway.
 * Placeholders left by redaction ("[CARD ****1234]") are skipped, so masked digits never count.
 */

const PLACEHOLDER = /\[[A-Z][A-Z ]*[^\]]*\]/g;
const FULLWIDTH_DIGIT = /[０-９]/g;

const SUFFIX: Record<string, number> = { k: 1e3, K: 1e3, w: 1e4, W: 1e4, 百: 1e2, 千: 1e3, 万: 1e4, 萬: 1e4, 亿: 1e8, 億: 1e8 };
const ARABIC = /(\d+(?:[,，]\d{3})*(?:\.\d+)?)\s*([kKwW百千万萬亿億])?/g;

const HAN_DIGIT: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 兩: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
const HAN_UNIT: Record<string, number> = { 十: 10, 百: 100, 千: 1000 };
const HAN_BIG: Record<string, number> = { 万: 1e4, 萬: 1e4, 亿: 1e8, 億: 1e8 };
const HAN_RUN = /[零〇一二两兩三四五六七八九十百千万萬亿億]+/g;

/**
 * Reads a run of Chinese numerals. A digit straight after a unit is the colloquial next place
 * ("三千五" is 3500, "一万二" is 12000), which is how people type amounts in chat.
 */
export function parseHanNumber(run: string): number {
  // "二〇二五" (a year, a code) is read digit by digit.
  if ([...run].every((ch) => ch in HAN_DIGIT)) return Number([...run].map((ch) => HAN_DIGIT[ch]).join(''));
  let total = 0;
  let section = 0;
  let digit = 0;
  let lastUnit = 0;
  let prev: 'digit' | 'unit' | 'zero' | null = null;
  for (const ch of run) {
    if (ch in HAN_DIGIT) {
      const d = HAN_DIGIT[ch]!;
      digit = d;
      prev = d === 0 ? 'zero' : 'digit';
      if (d === 0) lastUnit = 0;
    } else if (ch in HAN_UNIT) {
      const unit = HAN_UNIT[ch]!;
      section += (digit === 0 && prev !== 'zero' ? 1 : digit) * unit;
      digit = 0;
      lastUnit = unit;
      prev = 'unit';
    } else {
      const big = HAN_BIG[ch]!;
      total += (section + digit) * big;
      section = 0;
      digit = 0;
      lastUnit = big;
      prev = 'unit';
    }
  }
  const tail = prev === 'digit' && lastUnit >= 100 && digit < 10 ? (digit * lastUnit) / 10 : digit;
  return total + section + tail;
}

const EN_WORD: Record<string, number> = {
  a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18,
  nineteen: 19, twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90,
  first: 1, second: 2, third: 3, fourth: 4, fifth: 5, sixth: 6, seventh: 7, eighth: 8, ninth: 9, tenth: 10,
  couple: 2, dozen: 12, half: 0.5,
};
const EN_SCALE: Record<string, number> = { hundred: 100, thousand: 1000, million: 1e6 };
const EN_TOKEN = /[a-z]+(?:-[a-z]+)?|\d+(?:[,.]\d+)*/g;

function englishNumbers(text: string, out: Set<number>) {
  let previous: number | null = null;
  for (const [token] of text.toLowerCase().matchAll(EN_TOKEN)) {
    const parts = token.split('-');
    const word = parts.every((p) => p in EN_WORD) ? parts.reduce((sum, p) => sum + EN_WORD[p]!, 0) : null;
    if (word !== null) out.add(word);
    // Digits were collected already; here they only matter before a scale word ("2 thousand").
    const value = word ?? (/^\d/.test(token) ? Number(token.replace(/,/g, '')) : null);
    if (token in EN_SCALE && previous !== null) out.add(previous * EN_SCALE[token]!);
    previous = value;
  }
}

export function mentionedNumbers(message: string): Set<number> {
  const text = message.replace(PLACEHOLDER, ' ').replace(FULLWIDTH_DIGIT, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
  const out = new Set<number>();
  for (const m of text.matchAll(ARABIC)) {
    const value = Number(m[1]!.replace(/[,，]/g, ''));
    out.add(value);
    if (m[2]) out.add(value * SUFFIX[m[2]]!);
  }
  for (const m of text.matchAll(HAN_RUN)) {
    // A bare unit ("5千", "1.2万") belongs to the Arabic number before it.
    if (!/[零〇一二两兩三四五六七八九]|^十/.test(m[0])) continue;
    const value = parseHanNumber(m[0]);
    out.add(value);
    // "一年半", "两个半月": the half belongs to the number before it.
    if (/^[年个個月]*半/.test(text.slice(m.index + m[0].length))) out.add(value + 0.5);
  }
  if (text.includes('半')) out.add(0.5);
  englishNumbers(text, out);
  return out;
}
