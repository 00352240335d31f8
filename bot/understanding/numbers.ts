/**
 * Numbers as cardholders write them, read exactly: every value is built from BigInt digits and a
 * decimal scale, so "1.2万" is exactly 1 200 000 minor units and never 1 199 999.99.
 *
 * A mention is classified by what surrounds it ("12期" is months, "15号" a date, "尾号1234" card
 * digits, "九成" a share), so only what is left over is a money amount. Input is expected in the
 * normal form of `text.ts` (NFKC, lower case, simplified); the `parse*` helpers normalise for you.
 */
import { z } from 'zod';
import { normalize } from './text.js';

const CN_DIGIT: Readonly<Record<string, number>> = {
  零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9,
  壹: 1, 贰: 2, 叁: 3, 肆: 4, 伍: 5, 陆: 6, 柒: 7, 捌: 8, 玖: 9,
};
const CN_UNIT: Readonly<Record<string, bigint>> = {
  十: 10n, 拾: 10n, 百: 100n, 佰: 100n, 千: 1000n, 仟: 1000n, 万: 10_000n, 亿: 100_000_000n,
};
const SUFFIX_MULTIPLIER: Readonly<Record<string, bigint>> = {
  k: 1000n, w: 10_000n, hundred: 100n, thousand: 1000n, grand: 1000n, million: 1_000_000n,
};
const CN_DIGITS = Object.keys(CN_DIGIT).join('');
const CN_UNITS = Object.keys(CN_UNIT).join('');
const ARABIC = String.raw`\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+\^\d+|\d+,\d{1,2}(?!\d)|\d+(?:\.\d+)?`;
const ATOM = `(?:${ARABIC}|[${CN_DIGITS}${CN_UNITS}]|(?<=[${CN_DIGITS}])点(?=[${CN_DIGITS}]))`;
const NUMERAL_RUN = new RegExp(
  `(?<sign>(?<![\\w.])[-−]|负)?(?<body>(?:${ATOM})+)(?:\\s?(?<suffix>${Object.keys(SUFFIX_MULTIPLIER).join('|')})(?![a-z]))?`,
  'g',
);
const TOKEN = new RegExp(`(${ARABIC})|([${CN_DIGITS}])|([${CN_UNITS}])|(点)`, 'g');

/** Two neighbouring digits, "五六百" / "三四千": a range whose high end is the second digit. */
const RANGE = /([一二三四五六七八])([二两三四五六七八九])(?=[十百千万])/;

/** Idioms built from numeral characters that are not numbers: 千万 (by all means), 万一 (in case). */
const NUMERAL_IDIOMS = new Set(['千万', '万一', '万万', '十分', '一一', '百分', '百分百']);

/** Spelled-out forms rewritten to digits before scanning; order matters (longest first). */
const EN_SMALL = [
  'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve',
  'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen',
];
const EN_TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const REWRITES: ReadonlyArray<readonly [RegExp, string | ((...m: string[]) => string)]> = [
  [new RegExp(`\\b(${EN_TENS.slice(2).join('|')})[\\s-](${EN_SMALL.slice(1, 10).join('|')})\\b`, 'g'),
    (_m, tens, unit) => String(EN_TENS.indexOf(tens!) * 10 + EN_SMALL.indexOf(unit!))],
  [new RegExp(`\\b(${EN_TENS.slice(2).join('|')})\\b`, 'g'), (_m, tens) => String(EN_TENS.indexOf(tens!) * 10)],
  [new RegExp(`\\b(${EN_SMALL.slice(2).join('|')})\\b`, 'g'), (_m, w) => String(EN_SMALL.indexOf(w!))],
  [/\bhalf (?:a|one) year\b/g, '6 months'],
  [/\bhalf (?:a|one) month\b/g, '15 days'],
  [/\b(?:a|one) fortnight\b/g, '14 days'],
  [/\b(?:a couple of|a couple)\b/g, '2'],
  [/\bone\s+(year|month|week|day)\b/g, '1 $1'],
  // "a month" is a length after a preposition or verb ("for a month"), a rate after an amount ("300 a month").
  [/\b(for|in|over|within|after|another|extra|just|only|than|of|defer|delay|postpone|extend|push|about|around|take)\s+(?:a|an)\s+(year|month|week|day)\b/g, '$1 1 $2'],
  [/\bone (hundred|thousand)\b/g, '1 $1'],
  [/\bhalf\b(?! (?:a|an|one|of a) )/g, '50%'],
  // "4k8" / "2k5" / "1w2": the digit after the unit is the next place down (4.8k, 2.5k, 1.2w).
  [/(\d+)\s?([kw])(\d)(?![\d.,])/g, '$1.$3$2'],
  [/半年/g, '6个月'],
  [/半个月/g, '15天'],
  [/一半|半价/g, '5成'],
];

export function rewriteSpelledNumbers(text: string): string {
  return REWRITES.reduce<string>((t, [re, to]) => t.replace(re, to as string), text);
}

interface Decimal {
  readonly n: bigint;
  readonly scale: number;
}
const ZERO: Decimal = { n: 0n, scale: 0 };
const pow10 = (k: number) => 10n ** BigInt(k);
const add = (a: Decimal, b: Decimal): Decimal => {
  const scale = Math.max(a.scale, b.scale);
  return { n: a.n * pow10(scale - a.scale) + b.n * pow10(scale - b.scale), scale };
};
const times = (a: Decimal, k: bigint): Decimal => ({ n: a.n * k, scale: a.scale });

/** Rounds half away from zero to an integer of `factor` units; null beyond the safe range. */
function toSafeInteger(a: Decimal, factor: bigint): number | null {
  const scaled = a.n * factor;
  const d = pow10(a.scale);
  const abs = scaled < 0n ? -scaled : scaled;
  const rounded = (abs * 2n + d) / (2n * d);
  const value = scaled < 0n ? -rounded : rounded;
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : null;
}

function arabic(token: string): Decimal {
  const exponent = /^(\d+)\^(\d+)$/.exec(token);
  if (exponent) return { n: BigInt(exponent[1]!) ** BigInt(Math.min(Number(exponent[2]), 400)), scale: 0 };
  // A comma followed by exactly three digits groups thousands; with one or two it is a decimal comma.
  const plain = /^\d{1,3}(,\d{3})+/.test(token) ? token.replaceAll(',', '') : token.replace(',', '.');
  const [whole, fraction = ''] = plain.split('.');
  return { n: BigInt(whole! + fraction), scale: fraction.length };
}

/**
 * Reads one numeral run ("三千五", "1.2万", "3万5", "一百零五", "二零二四"). Colloquial
 * abbreviations follow the spoken rule: a lone trailing digit counts in the unit below the last
 * one ("三千五" = 3500, "一万二" = 12000) unless a 零 intervened ("一千零五" = 1005).
 */
export function parseNumeral(body: string): Decimal | null {
  let total = ZERO;
  let section = ZERO;
  let pending: { value: Decimal; small: boolean; cn: number | null } | null = null;
  let lastUnit: bigint | null = null;
  let lastBig = 0n;
  let zeroSeen = false;
  let fraction: string | null = null;
  let sawUnit = false;

  const closePending = (): Decimal => {
    if (!pending) return ZERO;
    if (pending.small && lastUnit !== null && !zeroSeen) return times(pending.value, lastUnit / 10n);
    return pending.value;
  };

  for (const m of body.matchAll(TOKEN)) {
    const [, arabicToken, cnDigit, cnUnit] = m;
    if (fraction !== null && cnDigit !== undefined) {
      fraction += String(CN_DIGIT[cnDigit]);
      if (pending) pending = { value: { n: BigInt(String(pending.value.n) + CN_DIGIT[cnDigit]), scale: fraction.length }, small: false, cn: null };
      continue;
    }
    if (arabicToken !== undefined || cnDigit !== undefined) {
      const value = arabicToken !== undefined ? arabic(arabicToken) : { n: BigInt(CN_DIGIT[cnDigit!]!), scale: 0 };
      const cn = cnDigit !== undefined ? CN_DIGIT[cnDigit]! : null;
      if (cn === 0) {
        zeroSeen = sawUnit;
        if (!sawUnit && pending) pending = { value: times(pending.value, 10n), small: false, cn: null };
        else if (!sawUnit) pending = { value: ZERO, small: false, cn: 0 };
        continue;
      }
      if (pending) {
        // "三四千" / "一两个月" are approximate ranges: keep the lower bound.
        const range = pending.cn !== null && cn !== null && (cn === pending.cn + 1 || (pending.cn === 1 && cnDigit === '两'));
        if (range) continue;
        if (sawUnit || cn === null || pending.cn === null) return null;
        pending = { value: { n: pending.value.n * 10n + BigInt(cn), scale: 0 }, small: false, cn: null };
        continue;
      }
      const small = value.scale === 0 && value.n < 10n && (cn !== null || arabicToken!.length === 1);
      pending = { value, small, cn };
      continue;
    }
    if (cnUnit !== undefined) {
      const unit = CN_UNIT[cnUnit]!;
      fraction = null;
      sawUnit = true;
      if (unit < 10_000n) {
        section = add(section, times(pending?.value ?? { n: 1n, scale: 0 }, unit));
      } else {
        const head = add(section, pending ? closePending() : section.n === 0n ? { n: 1n, scale: 0 } : ZERO);
        total = lastBig === 0n || unit < lastBig ? add(total, times(head, unit)) : times(add(total, head), unit);
        section = ZERO;
        lastBig = unit > lastBig ? unit : lastBig;
      }
      pending = null;
      lastUnit = unit;
      zeroSeen = false;
      continue;
    }
    // 点 between Chinese digits: a decimal point ("一点五万").
    if (!pending) return null;
    fraction = '';
  }
  return add(total, add(section, closePending()));
}

/** A whole number written in digits or Chinese numerals ("15", "十五"); null otherwise. */
export function numeralToInt(body: string): number | null {
  const value = parseNumeral(body);
  return value === null || value.scale !== 0 ? null : toSafeInteger(value, 1n);
}

export const QuantityKind = z.enum(['amount', 'months', 'days', 'percent', 'ordinal']);
export type QuantityKind = z.infer<typeof QuantityKind>;

/** One number found in a message; `value` is minor units, months, days, basis points or a 1-based index. */
export const Quantity = z.object({
  kind: QuantityKind,
  value: z.number().int(),
  start: z.number().int(),
  end: z.number().int(),
  /** A currency symbol or word was attached, so an amount reading is certain. */
  currency: z.boolean(),
  /** "五六百" is a range: `value` is its low end (500), `upper` its high end (600). */
  upper: z.number().int().nullable(),
});
export type Quantity = z.infer<typeof Quantity>;

const RE = {
  notAmountBefore: /(?:chapter|section|article|第.{0,2}条)\s*$/,
  ordinalBefore: /(?:第|option|plan|choice|number|no\.|#|选项?|方案)\s*$/,
  cardBefore: /(?:尾号|后四位|末四位|卡号|last\s*(?:4|four)(?:\s*digits)?(?:\s*(?:are|is|of my card))?|ending\s*(?:in|with)|card\s*(?:number|no\.?)(?:\s*is)?)\s*[:是为]?\s*$/,
  clockBefore: /\d:$/,
  weekdayBefore: /(?:周|星期|礼拜)$/,
  percentBefore: /百分之$/,
  currencyBefore: /(?:[$¥￥£€]|rmb|usd|cny|twd|nt\$?)\s*$/,
  percentAfter: /^\s*(?:%|percent\b|per\s*cent\b|pct\b)/,
  chengAfter: /^\s*成/,
  zheAfter: /^\s*折/,
  agoAfter: /^\s*(?:个|个多)?\s*(?:月|年|天|周|星期|礼拜|months?|years?|days?|weeks?)\s*(?:多)?\s*(?:前|以前|之前|ago)/,
  monthsAfter: /^\s*(?:个多月|个月|months?\b|mos?\b|mths?\b|期|installments?\b|instalments?\b|payments?\b)/,
  bareMonthAfter: /^\s*月/,
  bareMonthBefore: /(?:分|还|延期|推迟|延长|宽限|缓|缓期)\s*$/,
  yearAndHalfAfter: /^\s*年半/,
  yearAfter: /^\s*(?:年|years?\b|yrs?\b)/,
  daysAfter: /^\s*(?:天|days?\b)/,
  weeksAfter: /^\s*(?:个)?\s*(?:周|星期|礼拜|weeks?\b)/,
  notAmountAfter: /^\s*(?:号|日|st\b|nd\b|rd\b|th\b|点|时|:|分钟|分(?!期)|岁|个人|口|次|遍|张|位|家|个孩子|个小孩|cards?\b|digits?\b|am\b|pm\b|o'?clock|years?\s*old|kids?\b|children\b|people\b|persons?\b|times\b|楼|层|路|号码)/,
  currencyAfter: /^\s*(?:块|元|圆|钱|毛|rmb|usd|cny|twd|dollars?\b|bucks\b|yuan\b|刀|美元|美金|人民币|台币|新台币|港币)/,
};

function classify(text: string, start: number, end: number, value: Decimal, chineseOnly: boolean): Omit<Quantity, 'start' | 'end' | 'upper'> | null {
  const before = text.slice(Math.max(0, start - 32), start);
  const after = text.slice(end, end + 24);
  const int = (factor: bigint) => toSafeInteger(value, factor);
  const make = (kind: QuantityKind, v: number | null, currency = false) => (v === null ? null : { kind, value: v, currency });

  if (RE.weekdayBefore.test(before) || RE.cardBefore.test(before) || RE.clockBefore.test(before) || RE.notAmountBefore.test(before)) return null;
  if (RE.ordinalBefore.test(before)) return make('ordinal', int(1n));
  if (RE.percentBefore.test(before) || RE.percentAfter.test(after)) return make('percent', int(100n));
  if (RE.chengAfter.test(after)) return make('percent', int(1000n));
  if (RE.zheAfter.test(after)) {
    // "打三折" is paying 30%, i.e. 70% off; "85折" is paying 85%.
    const paid = value.n < 10n * pow10(value.scale) ? int(1000n) : int(100n);
    return paid === null ? null : make('percent', 10_000 - paid);
  }
  if (RE.agoAfter.test(after)) return null;
  if (RE.monthsAfter.test(after)) return make('months', int(1n));
  if (RE.bareMonthAfter.test(after)) return RE.bareMonthBefore.test(before) ? make('months', int(1n)) : null;
  if (RE.yearAndHalfAfter.test(after)) {
    const months = int(12n);
    return make('months', months === null ? null : months + 6);
  }
  if (RE.yearAfter.test(after)) {
    const whole = int(1n);
    return whole !== null && whole >= 1900 && whole <= 2100 && value.scale === 0 ? null : make('months', int(12n));
  }
  if (RE.daysAfter.test(after)) return make('days', int(1n));
  if (RE.weeksAfter.test(after)) return make('days', int(7n));
  if (RE.notAmountAfter.test(after)) return null;
  const currency = RE.currencyBefore.test(before) || RE.currencyAfter.test(after);
  // Long bare digit strings are phone, card or account numbers, not amounts.
  if (!currency && value.scale === 0 && /^\d{9,}$/.test(text.slice(start, end))) return null;
  // A lone 一/两/三 is a number only with a unit after it ("一年", "两期", "三千块").
  if (chineseOnly && !currency && text.slice(start, end).length < 2) return null;
  return make('amount', int(100n), currency);
}

/**
 * Digit groups written apart ("6222 0212 3456 7890", "138-0013-8000"): with nine digits or more
 * they are a card, phone or account number, never an amount, whichever group is looked at.
 */
const DIGIT_GROUPS = /(?<![\d.,])\d{2,}(?:[ -]\d{2,})+(?![\d.,])/g;

/**
 * Every quantity in an already normalised message (see `prepare`), in order of appearance.
 * Spans the caller has already read as dates should be blanked out first.
 */
export function findQuantities(text: string): Quantity[] {
  const found: Quantity[] = [];
  const identifiers = [...text.matchAll(DIGIT_GROUPS)].filter((m) => m[0].replace(/\D/g, '').length >= 9);
  for (const m of text.matchAll(NUMERAL_RUN)) {
    if (identifiers.some((g) => m.index! >= g.index! && m.index! < g.index! + g[0].length)) continue;
    const body = m.groups!.body!;
    const chineseOnly = !/\d/.test(body);
    if (chineseOnly && NUMERAL_IDIOMS.has(body)) continue;
    let value = parseNumeral(body);
    if (value === null) continue;
    const suffix = m.groups!.suffix;
    if (suffix) value = times(value, SUFFIX_MULTIPLIER[suffix]!);
    if (m.groups!.sign) value = { n: -value.n, scale: value.scale };
    const start = m.index! + (m.groups!.sign?.length ?? 0);
    const end = m.index! + m[0].length;
    const q = classify(text, start, end, value, chineseOnly && !suffix);
    if (!q) continue;
    const high = RANGE.test(body) ? parseNumeral(body.replace(RANGE, '$2')) : null;
    const upper = high === null ? null : classify(text, start, end, suffix ? times(high, SUFFIX_MULTIPLIER[suffix]!) : high, false)?.value ?? null;
    found.push({ ...q, start: m.index!, end, upper: upper !== null && upper !== q.value ? upper : null });
  }
  return found;
}

/** Normal form plus spelled numbers rewritten: the text every rule reads. */
export function prepare(text: string): string {
  return rewriteSpelledNumbers(normalize(text));
}

const first = (text: string, kind: QuantityKind) => findQuantities(prepare(text)).find((q) => q.kind === kind)?.value ?? null;

/** "三千五" → 350000, "$1,200" → 120000, "1.2万" → 1200000; null when none or beyond safe integers. */
export const parseAmountMinor = (text: string): number | null => first(text, 'amount');
/** "分12期" → 12, "一年" → 12, "半年" → 6, "18個月" → 18. */
export const parseMonths = (text: string): number | null => first(text, 'months');
/** "延期15天" → 15, "两周" → 14; a month counts as 30 days ("推迟一个月" → 30). */
export function parseDays(text: string): number | null {
  const q = findQuantities(prepare(text)).find((x) => x.kind === 'days' || x.kind === 'months');
  if (!q) return null;
  return q.kind === 'days' ? q.value : q.value * 30;
}
/** The share taken off, in basis points: "90% off" → 9000, "减免九成" → 9000, "打三折" → 7000. */
export const parsePercentBps = (text: string): number | null => first(text, 'percent');
