/**
 * Dates a cardholder names ("明天", "下周五", "the 15th", "3月15号"), resolved against the turn's
 * date in the policy timezone. Calendar arithmetic is done on UTC day numbers so the host's
 * timezone can never shift a day.
 */
import { z } from 'zod';
import { IsoDate } from '../../policy/index.js';
import { numeralToInt } from './numbers.js';

export const DateMention = z.object({
  date: IsoDate,
  /** The other calendar date people read the same words as ("next Friday" on a Monday), or null. */
  alternative: IsoDate.nullable(),
  start: z.number().int(),
  end: z.number().int(),
});
export type DateMention = z.infer<typeof DateMention>;

const DAY_MS = 86_400_000;
const NUM = '(\\d{1,2}|[一二三四五六七八九十]{1,3})';
const EN_MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const EN_MONTH = '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
const EN_WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const ZH_WEEKDAY: Readonly<Record<string, number>> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 日: 7, 天: 7 };

interface Day {
  readonly y: number;
  readonly m: number;
  readonly d: number;
}
const toMs = ({ y, m, d }: Day) => Date.UTC(y, m - 1, d);
const fromMs = (ms: number): Day => {
  const t = new Date(ms);
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
};
const iso = (day: Day) => new Date(toMs(day)).toISOString().slice(0, 10);
const plusDays = (day: Day, n: number) => fromMs(toMs(day) + n * DAY_MS);
const daysInMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
/** Monday = 1 … Sunday = 7. */
const weekday = (day: Day) => ((new Date(toMs(day)).getUTCDay() + 6) % 7) + 1;
const valid = (y: number, m: number, d: number) => m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);

/** The next occurrence of month/day on or after today. */
function nextMonthDay(today: Day, m: number, d: number): Day | null {
  const y = toMs({ y: today.y, m, d }) >= toMs(today) ? today.y : today.y + 1;
  return valid(y, m, d) ? { y, m, d } : null;
}

/** Day `d` of this month if still ahead (or today), otherwise of next month; clamped to month end. */
function nextDayOfMonth(today: Day, d: number, monthsAhead: number): Day | null {
  if (d < 1 || d > 31) return null;
  let ahead = monthsAhead;
  if (ahead === 0 && d < today.d) ahead = 1;
  const m0 = today.m - 1 + ahead;
  const y = today.y + Math.floor(m0 / 12);
  const m = (m0 % 12) + 1;
  return { y, m, d: Math.min(d, daysInMonth(y, m)) };
}

/**
 * "下周五" / "next Friday" is read as the weekday of the following calendar week; said while this
 * week's one is still ahead, many people mean this week's, so that day is the alternative.
 */
function byWeekday(today: Day, target: number, prefix: string | undefined): Reading {
  const t = weekday(today);
  if (prefix === '下下') return plusDays(today, 14 - t + target);
  if (prefix === '下' || prefix === 'next') {
    const day = plusDays(today, 7 - t + target);
    return target > t ? { day, alternative: plusDays(today, target - t) } : day;
  }
  return plusDays(today, (target - t + 7) % 7);
}

type Reading = Day | { day: Day; alternative: Day };
type Resolver = (m: RegExpExecArray, today: Day) => Reading | null;
const num = (s: string | undefined) => (s === undefined ? null : numeralToInt(s));

const PATTERNS: ReadonlyArray<readonly [RegExp, Resolver]> = [
  [/(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?/y, (m) => {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    return valid(y, mo, d) ? { y, m: mo, d } : null;
  }],
  [new RegExp(`${NUM}\\s*月\\s*${NUM}\\s*[日号]?`, 'y'), (m, today) => {
    const [mo, d] = [num(m[1]), num(m[2])];
    return mo !== null && d !== null ? nextMonthDay(today, mo, d) : null;
  }],
  [new RegExp(`\\b${EN_MONTH}\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b`, 'y'), (m, today) =>
    nextMonthDay(today, EN_MONTHS.indexOf(m[1]!.slice(0, 3)) + 1, Number(m[2]))],
  [new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?${EN_MONTH}\\b`, 'y'), (m, today) =>
    nextMonthDay(today, EN_MONTHS.indexOf(m[2]!.slice(0, 3)) + 1, Number(m[1]))],
  [new RegExp(`(下个?月|本月|这个?月)?\\s*${NUM}\\s*[号日](?!期)`, 'y'), (m, today) => {
    const d = num(m[2]);
    return d === null ? null : nextDayOfMonth(today, d, m[1]?.startsWith('下') ? 1 : 0);
  }],
  [/\b(?:on |by |before )?(?:the )?(\d{1,2})(?:st|nd|rd|th)\b(?:\s+of\s+(next|this)\s+month)?/y, (m, today) =>
    nextDayOfMonth(today, Number(m[1]), m[2] === 'next' ? 1 : 0)],
  [/大后天/y, (_m, today) => plusDays(today, 3)],
  [/后天|(?:the )?day after tomorrow/y, (_m, today) => plusDays(today, 2)],
  [/明天|明日|明早|明晚|明儿|\btomorrow\b|\btmr\b|\btmrw\b/y, (_m, today) => plusDays(today, 1)],
  [/今天|今日|今晚|今早|今儿|\btoday\b|\btonight\b|\bthis (?:evening|afternoon|morning)\b/y, (_m, today) => today],
  [new RegExp(`${NUM}\\s*天\\s*(?:后|之后|以后|内|之内)`, 'y'), (m, today) => {
    const n = num(m[1]);
    return n === null ? null : plusDays(today, n);
  }],
  [/\bin (\d{1,2}) days?\b/y, (m, today) => plusDays(today, Number(m[1]))],
  [/(下下|下|这|本)?个?(?:周|星期|礼拜)([一二三四五六日天1-7])/y, (m, today) => {
    const target = ZH_WEEKDAY[m[2]!] ?? Number(m[2]);
    return byWeekday(today, target, m[1]);
  }],
  [new RegExp(`\\b(?:(next|this|on|by|coming)\\s+)?(${EN_WEEKDAYS.join('|')})\\b`, 'y'), (m, today) =>
    byWeekday(today, EN_WEEKDAYS.indexOf(m[2]!) + 1, m[1])],
  [/月底|月末|\bend of (?:the |this )?month\b/y, (_m, today) => ({ y: today.y, m: today.m, d: daysInMonth(today.y, today.m) })],
  [/下个?月初|\b(?:start|beginning) of next month\b/y, (_m, today) => nextDayOfMonth(today, 1, 1)],
];

/** The first-character set of every pattern, so most positions are skipped without trying them all. */
const MAY_START = /[\da-z一二三四五六七八九十下本这大后明今周星礼月]/;

/** Every date named in a normalised message, earliest first, without overlaps. */
export function findDates(text: string, todayIso: string): DateMention[] {
  const [y, m, d] = todayIso.split('-').map(Number) as [number, number, number];
  const today: Day = { y, m, d };
  const found: DateMention[] = [];
  for (let i = 0; i < text.length; i++) {
    if (!MAY_START.test(text[i]!) || (i > 0 && /[a-z0-9]/.test(text[i]!) && /[a-z0-9]/.test(text[i - 1]!))) continue;
    for (const [re, resolve] of PATTERNS) {
      re.lastIndex = i;
      const match = re.exec(text);
      if (!match || match[0].trim() === '') continue;
      const reading = resolve(match, today);
      if (!reading) continue;
      const [day, alternative] = 'day' in reading ? [reading.day, reading.alternative] : [reading, null];
      found.push({ date: iso(day), alternative: alternative && iso(alternative), start: i, end: i + match[0].length });
      i += match[0].length - 1;
      break;
    }
  }
  return found;
}
