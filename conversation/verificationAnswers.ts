/**
 * Reading verification answers as people type them. Year-first dates are read everywhere. A
 * year-last date ("04/18/1990") is read only where its order is certain: when one part is over 12
 * it can only be the day, and otherwise only in the convention the caller names (US English:
 * month first). "03/04/1985" in a Chinese conversation stays unread rather than guessed, since a
 * wrong guess would count as a failed attempt.
 */
/**
 * Holds the first verification answer until the second arrives without it being readable in the
 * conversation state (Redis, snapshots, exports of state): sealed under a key the state store never
 * sees, bound to the conversation, opened once at the check and then forgotten.
 */
export interface AnswerSeal {
  seal(conversationId: string, answer: string): string;
  /** The answer, or null if `sealed` was not sealed here for this conversation (edited, copied, another key). */
  open(conversationId: string, sealed: string): string | null;
}

const FULLWIDTH = /[０-９]/g;
const halfWidth = (s: string) => s.replace(FULLWIDTH, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));

export function readLast4(text: string): string | null {
  const runs = halfWidth(text).match(/\d+/g) ?? [];
  const four = runs.filter((r) => r.length === 4);
  return four.length === 1 ? four[0]! : null;
}

/** "04/18/1990", "18.04.1990": two one- or two-digit parts, then the year. */
const NUMERIC_YEAR_LAST = /(?<!\d)(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4})(?!\d)/;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** Year, month, day from a year-last date, or null when its order is not certain. */
function yearLast(s: string, order: 'mdy' | null): [number, number, number] | null {
  const named = s.match(/\b([a-z]{3})[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b/i) ?? null;
  if (named && MONTHS.includes(named[1]!.toLowerCase())) return [Number(named[3]), MONTHS.indexOf(named[1]!.toLowerCase()) + 1, Number(named[2])];
  const dayFirst = s.match(/\b(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]{3})[a-z]*\.?,?\s+(\d{4})\b/i);
  if (dayFirst && MONTHS.includes(dayFirst[2]!.toLowerCase())) return [Number(dayFirst[3]), MONTHS.indexOf(dayFirst[2]!.toLowerCase()) + 1, Number(dayFirst[1])];
  const m = s.match(NUMERIC_YEAR_LAST);
  if (!m) return null;
  const [a, b, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (a > 12 && b <= 12) return [y, b, a];
  if (b > 12 && a <= 12) return [y, a, b];
  return order === 'mdy' && a <= 12 ? [y, a, b] : null;
}

/**
 * The order a cardholder wrote a numeric year-last date in ("04/18/1990" → month first), so the
 * bot's English dates can follow it; null when the text has none or its order is not certain.
 */
export function dateOrderWritten(text: string, order: 'mdy' | null = null): 'mdy' | 'dmy' | null {
  const m = halfWidth(text).match(NUMERIC_YEAR_LAST);
  if (!m) return null;
  const [a, b] = [Number(m[1]), Number(m[2])];
  if (a > 12 && b <= 12) return 'dmy';
  if (b > 12 && a <= 12) return 'mdy';
  return a <= 12 && b <= 12 ? order : null;
}

export function readDateOfBirth(text: string, order: 'mdy' | null = null): string | null {
  const s = halfWidth(text).trim();
  const m =
    s.match(/(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号號]?/) ?? s.match(/(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)/);
  const ymd = m ? ([Number(m[1]), Number(m[2]), Number(m[3])] as const) : yearLast(s, order);
  if (!ymd) return null;
  const [y, mo, d] = ymd;
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1900 || date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return `${String(y)}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}
