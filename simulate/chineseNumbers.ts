/**
 * Amounts the way people type them in Chinese chat: "两千五", "一万二", "八千", "三千二百五十".
 * Colloquial readings drop the last unit when only two significant digits sit next to each other
 * (2500 → 两千五, 12000 → 一万二). Whole yuan below 100 million only: that is all a cardholder says.
 */
const DIGITS = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
const UNITS = ['', '十', '百', '千'];

/** 0–9999 in full form ("三千零五十"); 二 is said 两 before 千 and 百. */
function belowTenThousand(n: number, traditional: boolean): string {
  const digits = String(n).padStart(4, '0').split('').map(Number);
  let out = '';
  let zero = false;
  digits.forEach((d, i) => {
    const unit = UNITS[3 - i]!;
    if (d === 0) {
      zero = out.length > 0;
      return;
    }
    if (zero) out += '零';
    zero = false;
    const two = traditional ? '兩' : '两';
    const digit = d === 2 && (unit === '千' || unit === '百') ? two : DIGITS[d]!;
    out += unit === '十' && d === 1 && out.length === 0 ? '十' : digit + unit;
  });
  return out;
}

function full(n: number, traditional: boolean): string {
  if (n === 0) return '零';
  const wan = Math.floor(n / 10_000);
  const rest = n % 10_000;
  if (wan === 0) return belowTenThousand(rest, traditional);
  const head = (wan === 2 ? (traditional ? '兩' : '两') : belowTenThousand(wan, traditional)) + (traditional ? '萬' : '万');
  if (rest === 0) return head;
  return head + (rest < 1000 ? '零' : '') + belowTenThousand(rest, traditional);
}

/** A whole-yuan amount in words, colloquially shortened where people shorten it. */
export function chineseAmount(yuan: number, traditional = false): string {
  if (!Number.isSafeInteger(yuan) || yuan < 0 || yuan >= 100_000_000) throw new RangeError(`cannot say ${String(yuan)} in words`);
  const two = traditional ? '兩' : '两';
  const wanChar = traditional ? '萬' : '万';
  // 2500 → 两千五, 1800 → 一千八
  if (yuan >= 1000 && yuan < 10_000 && yuan % 100 === 0 && yuan % 1000 !== 0) {
    const k = Math.floor(yuan / 1000);
    return `${k === 2 ? two : DIGITS[k]!}千${DIGITS[(yuan % 1000) / 100]!}`;
  }
  // 12000 → 一万二, 35000 → 三万五
  if (yuan >= 10_000 && yuan < 100_000 && yuan % 1000 === 0 && yuan % 10_000 !== 0) {
    const w = Math.floor(yuan / 10_000);
    return `${w === 2 ? two : DIGITS[w]!}${wanChar}${DIGITS[(yuan % 10_000) / 1000]!}`;
  }
  return full(yuan, traditional);
}
