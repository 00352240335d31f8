/**
 * Personal-data masking for transcripts, prompts and logs (PIPL Art. 28–29: financial accounts,
 * identity numbers and health are sensitive). Redaction runs before anything is stored or sent
 * to an LLM, so the rest of the system only ever sees masked text.
 *
 * Conservative by design — a false mask costs a little context, a missed one leaks a card: any
 * run of 13–19 digits (grouped or not, Luhn-valid or not) is a card; an 18-character ID-shaped
 * string with a plausible birth date is an ID whatever its check digit; a full date whose year
 * could be a birth year is masked (a date of birth is a verification answer); digits after
 * "CVV", "安全码", "有效期", "expiry", "后四位" are masked; digits written as Chinese numerals
 * ("一三八一二三四五六七八") are read as digits for all of this.
 *
 * Detection rules run in a fixed order over the parts of the text not yet masked, so a later
 * rule can never re-mask (or partly un-mask) an earlier one: e-mail, resident ID, card, 15-digit
 * legacy ID, phone, card security context, birth dates, the caller's known secrets, names.
 * Numbers are matched with digit boundaries, so amounts such as "每月还1500", "$1,200" or
 * "20000元" and plan lengths are never touched.
 */
import { z } from 'zod';

export const RedactionKind = z.enum(['email', 'id_number', 'card', 'phone', 'card_security', 'birth_date', 'secret', 'name', 'health']);
export type RedactionKind = z.infer<typeof RedactionKind>;

export const RedactOptions = z.object({
  /** Values the caller knows are secret in this conversation: verification answers, names on file. */
  extraSecrets: z.array(z.string()).optional(),
  /** The year a birth date cannot be later than (default: 14 years before now). */
  latestBirthYear: z.number().int().optional(),
  /** Look for these kinds only (default: all). */
  kinds: z.array(RedactionKind).optional(),
});
export type RedactOptions = z.infer<typeof RedactOptions>;

export interface Redaction {
  text: string;
  found: RedactionKind[];
}

interface Span {
  start: number;
  end: number;
  replacement: string;
  kind: RedactionKind;
}

/** A finder sees one unmasked stretch of text (digits already half-width) and returns what to mask. */
type Finder = (text: string) => Span[];

const FULLWIDTH_DIGIT = /[０-９]/g;
/** Full-width digits are common in Chinese input; mapping them 1:1 keeps offsets valid for the original. */
const halfWidth = (s: string) => s.replace(FULLWIDTH_DIGIT, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));

/** Chinese digit characters as read aloud digit by digit (幺 is how 1 is said in phone numbers). */
const CJK_DIGITS: Record<string, string> = { 〇: '0', 零: '0', 一: '1', 幺: '1', 二: '2', 两: '2', 三: '3', 四: '4', 五: '5', 六: '6', 七: '7', 八: '8', 九: '9' };
const CJK_DIGIT_RUN = /[〇零一幺二两三四五六七八九](?:[\s\-._/\u3000]?[〇零一幺二两三四五六七八九]){5,}/g;
/**
 * For the number finders: half-width digits, and runs of six or more Chinese digit characters
 * (a number read out digit by digit, never an amount, which has 十/百/千/万) as ASCII digits. 1:1,
 * so offsets stay valid for the original text.
 */
const numberForm = (s: string) => halfWidth(s).replace(CJK_DIGIT_RUN, (run) => run.replace(/./g, (c) => CJK_DIGITS[c] ?? c));

/** `pattern` is global (`matchAll` requires it) and compiled once; `matchAll` iterates a copy, so it is never shared state. */
const spansOf = (text: string, pattern: RegExp, toSpan: (m: RegExpExecArray) => Omit<Span, 'start' | 'end'> | null): Span[] => {
  const spans: Span[] = [];
  for (const m of text.matchAll(pattern)) {
    const span = toSpan(m);
    if (span) spans.push({ start: m.index, end: m.index + m[0].length, ...span });
  }
  return spans;
};

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/gu;

function plausibleBirthDate(yyyymmdd: string): boolean {
  const [y, m, d] = [Number(yyyymmdd.slice(0, 4)), Number(yyyymmdd.slice(4, 6)), Number(yyyymmdd.slice(6, 8))];
  const date = new Date(Date.UTC(y, m - 1, d));
  return y >= 1900 && date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

const ID18 = /(?<![\dA-Za-z])\d{6}[ -]?\d{8}[ -]?\d{3}[\dXx](?![\dA-Za-z])/g;
const ID15 = /(?<!\d)\d{15}(?!\d)/g;

/** ID-shaped with a plausible birth date: masked whether or not the check digit is right (a typo is still someone's ID). */
const findResidentIds: Finder = (text) =>
  spansOf(text, ID18, (m) => (plausibleBirthDate(m[0].replace(/[ -]/g, '').slice(6, 14)) ? { replacement: '[ID]', kind: 'id_number' } : null));

/** Pre-1999 IDs have no check digit, so a plausible YYMMDD birth date is the only evidence. */
const findLegacyIds: Finder = (text) =>
  spansOf(text, ID15, (m) => (plausibleBirthDate(`19${m[0].slice(6, 12)}`) ? { replacement: '[ID]', kind: 'id_number' } : null));

/**
 * Cards are typed contiguous or in groups ("6222 0213 4567 8901", "3782-822463-10005",
 * "6222.0212.3456.7890"). Any window of consecutive groups holding 13–19 digits is masked, Luhn
 * valid or not (a mistyped card is still a card), longest window first, so a card followed by
 * another number ("… 1234 2025") is still found; in a window of several groups each has at least
 * three digits, so "86 138…" stays a phone. A contiguous run of 13 or more digits is masked
 * whatever its length. A run after "+" is an international phone number. The whole number is
 * masked, last 4 included: the last 4 are a verification answer.
 */
const findCards: Finder = (text) => {
  const spans: Span[] = [];
  for (const run of text.matchAll(/(?<![\d+])\d+(?:[ \t.\-_/\u3000]\d+)*/g)) {
    const groups = [...run[0].matchAll(/\d+/g)].map((g) => ({ start: run.index + g.index, end: run.index + g.index + g[0].length, digits: g[0] }));
    let i = 0;
    while (i < groups.length) {
      let matchedTo = -1;
      for (let j = groups.length - 1; j >= i; j--) {
        const window = groups.slice(i, j + 1);
        const length = window.reduce((n, g) => n + g.digits.length, 0);
        const grouped = window.length === 1 || window.every((g) => g.digits.length >= 3);
        if (grouped && length >= 13 && (length <= 19 || window.length === 1)) {
          spans.push({ start: groups[i]!.start, end: groups[j]!.end, replacement: '[CARD]', kind: 'card' });
          matchedTo = j;
          break;
        }
      }
      i = matchedTo >= 0 ? matchedTo + 1 : i + 1;
    }
  }
  return spans;
};

const SEP = '[ \\t.-]?';
const CN_MOBILE = new RegExp(`(?<![\\d])(?:(?:\\+|00)?86${SEP})?1[3-9]\\d${SEP}\\d{4}${SEP}\\d{4}(?!\\d)`, 'g');
/** NANP: area and exchange codes start 2–9; bare 10-digit runs need "+1" so they are not read as amounts. */
const US_PHONE = new RegExp(
  `(?<![\\d])(?:(?:\\+1${SEP})\\(?[2-9]\\d{2}\\)?${SEP}[2-9]\\d{2}${SEP}\\d{4}|(?:1${SEP})?\\([2-9]\\d{2}\\) ?[2-9]\\d{2}${SEP}\\d{4}|[2-9]\\d{2}[ .-][2-9]\\d{2}[ .-]\\d{4})(?!\\d)`,
  'g',
);

const findPhones: Finder = (text) => [
  ...spansOf(text, CN_MOBILE, () => ({ replacement: '[PHONE]', kind: 'phone' })),
  ...spansOf(text, US_PHONE, () => ({ replacement: '[PHONE]', kind: 'phone' })),
];

const findEmails: Finder = (text) => spansOf(text, EMAIL, () => ({ replacement: '[EMAIL]', kind: 'email' }));

/** Masks only the value a context phrase introduces (group 1), e.g. the "321" of "cvv 321". */
function valueAfter(pattern: RegExp, replacement: string, kind: RedactionKind): Finder {
  const global = new RegExp(pattern.source, `${pattern.flags.replace('g', '')}gd`);
  return (text) =>
    [...text.matchAll(global)].flatMap((m) => {
      const at = m.indices?.[1];
      return at ? [{ start: at[0], end: at[1], replacement, kind }] : [];
    });
}

const IS = '\\s*(?:是|为|為|:|：|is|are|=|#|no\\.?)?\\s*';
/** Card security code, one-time codes and card expiry, in the words people use for them. */
const CARD_SECURITY: readonly Finder[] = [
  valueAfter(new RegExp(`(?:cvv2?|cvc2?|cid|csc|security\\s*code|安全码|安全碼|校验码|校驗碼|背面(?:的)?(?:后|後)?三位(?:数|數)?(?:字)?|卡背(?:面)?(?:的)?(?:后|後)?三位(?:数|數)?(?:字)?)${IS}(\\d{3,4})(?!\\d)`, 'i'), '[CVV]', 'card_security'),
  valueAfter(new RegExp(`(?:验证码|驗證碼|动态码|動態碼|otp|one[-\\s]?time\\s*(?:pass)?code)${IS}(\\d{4,8})(?!\\d)`, 'i'), '[CODE]', 'card_security'),
  valueAfter(
    new RegExp(`(?:有效期(?:至|到)?|到期(?:日|日期|时间|時間)?|exp(?:iry|iration|ires?)?(?:\\s*date)?|valid\\s*(?:thru|through|until))${IS}((?:\\d{1,2}\\s*[/\\-.]\\s*\\d{2,4})|(?:\\d{4}\\s*[/\\-.年]\\s*\\d{1,2}\\s*月?)|(?:\\d{1,2}\\s*月\\s*\\d{2,4}\\s*年?)|(?:\\d{4}))(?!\\d)`, 'i'),
    '[EXPIRY]',
    'card_security',
  ),
  // "卡号后四位4821", "尾号 4821", "last four 4821": the last 4 are a verification answer.
  valueAfter(new RegExp(`(?:后四位|後四位|尾号|尾號|末四位|last\\s*(?:4|four)(?:\\s*digits)?|ending\\s*(?:in|with))${IS}(\\d{4})(?!\\d)`, 'i'), '[REDACTED]', 'secret'),
];
const findCardSecurity: Finder = (text) => CARD_SECURITY.flatMap((find) => find(text));

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_NAME = '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\.?';
const CJK_NUMBER: Record<string, number> = { 〇: 0, 零: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
/** "十四" → 14, "三" → 3, "二十" → 20: month and day numbers only. */
function smallChineseNumber(s: string): number {
  if (!s.includes('十')) return CJK_NUMBER[s] ?? NaN;
  const [tens, ones] = s.split('十') as [string, string];
  return (tens === '' ? 1 : (CJK_NUMBER[tens] ?? NaN)) * 10 + (ones === '' ? 0 : (CJK_NUMBER[ones] ?? NaN));
}

/** Birth-date shapes, each with the ways its groups read as year, month, day. */
const BIRTH_DATE_FORMS: readonly [RegExp, (m: RegExpExecArray) => [number, number, number][]][] = [
  [/(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)\s*[日号號]?/g, (m) => [[+m[1]!, +m[2]!, +m[3]!]]],
  [/(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)/g, (m) => [[+m[1]!, +m[2]!, +m[3]!]]],
  // 03/14/1988 or 14/03/1988 or 14.3.1988: either reading will do.
  [/(?<!\d)(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4})(?!\d)/g, (m) => [[+m[3]!, +m[1]!, +m[2]!], [+m[3]!, +m[2]!, +m[1]!]]],
  [new RegExp(`\\b${MONTH_NAME}\\s*(\\d{1,2})(?:st|nd|rd|th)?,?\\s*(\\d{4})(?!\\d)`, 'gi'), (m) => [[+m[3]!, MONTHS.indexOf(m[1]!.slice(0, 3).toLowerCase()) + 1, +m[2]!]]],
  [new RegExp(`(?<!\\d)(\\d{1,2})(?:st|nd|rd|th)?\\s*(?:of\\s*)?${MONTH_NAME},?\\s*(\\d{4})(?!\\d)`, 'gi'), (m) => [[+m[3]!, MONTHS.indexOf(m[2]!.slice(0, 3).toLowerCase()) + 1, +m[1]!]]],
  [
    /([〇零一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月\s*([一二三四五六七八九十]{1,3})\s*[日号號]?/g,
    (m) => [[Number([...m[1]!].map((c) => CJK_NUMBER[c]).join('')), smallChineseNumber(m[2]!), smallChineseNumber(m[3]!)]],
  ],
];

/**
 * A full date whose year could be a birth year is a date of birth until shown otherwise: the
 * negotiation itself only ever needs recent or future dates (a promise, a job lost last year).
 */
function findBirthDates(latestYear: number): Finder {
  const birth = ([y, m, d]: [number, number, number]) => y <= latestYear && plausibleBirthDate(`${y}${String(m).padStart(2, '0')}${String(d).padStart(2, '0')}`);
  return (text) =>
    BIRTH_DATE_FORMS.flatMap(([pattern, readings]) =>
      spansOf(text, pattern, (m) => (readings(m).some(birth) ? { replacement: '[DATE]', kind: 'birth_date' } : null)),
    );
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A date of birth is typed many ways; an ISO secret masks its common spellings too. */
export function secretVariants(secret: string): string[] {
  const s = secret.trim();
  const iso = s.match(/^(\d{4})-(\d{2})-(\d{2})$/);
  if (!iso) return [s];
  const [, y, m, d] = iso as unknown as [string, string, string, string];
  const [mn, dn] = [String(Number(m)), String(Number(d))];
  return [s, `${y}${m}${d}`, `${y}/${m}/${d}`, `${y}.${m}.${d}`, `${y}/${mn}/${dn}`, `${y}年${mn}月${dn}日`, `${y}年${m}月${d}日`, `${m}/${d}/${y}`, `${mn}/${dn}/${y}`];
}

function findSecrets(secrets: readonly string[]): Finder {
  const variants = [...new Set(secrets.flatMap(secretVariants))].filter((s) => s.length >= 2).sort((a, b) => b.length - a.length);
  if (variants.length === 0) return () => [];
  // Digit-only secrets (a last-4) are matched whole, so "12345" is not masked for the secret "1234".
  const alternatives = variants.map((v) => (/^\d/.test(v) ? '(?<!\\d)' : '') + escapeRegExp(v) + (/\d$/.test(v) ? '(?!\\d)' : ''));
  const pattern = new RegExp(alternatives.join('|'), 'giu');
  return (text) => spansOf(text, pattern, () => ({ replacement: '[REDACTED]', kind: 'secret' }));
}

const HAN_NAME = '[\\p{Script=Han}·]';
/** Words that usually follow a self-introduction, so "我叫张三最近失业了" masks only the name. */
const ZH_AFTER_NAME = '(?:最近|因为|现在|目前|今年|去年|是|的|在|想|要|我|，|,|。|\\s|$|[^\\p{Script=Han}·])';
const ZH_NAME = new RegExp(`(?<=(?:我叫|我名叫|我的名字是|我的名字叫|本人叫|本人姓名|姓名[:：]?)\\s*)(?:${HAN_NAME}{2,4}?(?=${ZH_AFTER_NAME})|${HAN_NAME}{2,3})`, 'gu');
const EN_WORD_STOP = new Set(['and', 'but', 'i', 'so', 'from', 'the', 'my', 'calling', 'here', 'not', 'unable', 'sorry', 'just', 'really', 'very']);
const EN_NAME_LEADIN = /\b(?:my name is|name's|my name's|i am|i'm|i’m|this is)\s+/giu;

/** English names: after "my name is" any case; after "I'm"/"this is" only Capitalised words, so "I'm broke" stays. */
const findEnglishNames: Finder = (text) => {
  const spans: Span[] = [];
  for (const lead of text.matchAll(EN_NAME_LEADIN)) {
    const anyCase = /name/i.test(lead[0]);
    let pos = lead.index + lead[0].length;
    let end = pos;
    for (let words = 0; words < 3; words++) {
      const w = text.slice(pos).match(/^[A-Za-z][A-Za-z'’-]*/);
      if (!w || EN_WORD_STOP.has(w[0].toLowerCase()) || (!anyCase && !/^[A-Z]/.test(w[0]))) break;
      end = pos + w[0].length;
      const gap = text.slice(end).match(/^ +/);
      if (!gap) break;
      pos = end + gap[0].length;
    }
    if (end > lead.index + lead[0].length) spans.push({ start: lead.index + lead[0].length, end, replacement: '[NAME]', kind: 'name' });
  }
  return spans;
};

const findChineseNames: Finder = (text) => spansOf(text, ZH_NAME, () => ({ replacement: '[NAME]', kind: 'name' }));

type Normalise = (s: string) => string;

/**
 * A stretch of the text: masked stretches are frozen; an unmasked one keeps the normal forms made
 * of it, since most text passes every finder unchanged and would otherwise be normalised again for
 * each of the ten (every bot message is redacted too).
 */
interface Segment {
  text: string;
  masked: boolean;
  forms?: Map<Normalise, string>;
}

function formOf(seg: Segment, normalise: Normalise): string {
  seg.forms ??= new Map();
  let form = seg.forms.get(normalise);
  if (form === undefined) seg.forms.set(normalise, (form = normalise(seg.text)));
  return form;
}

/**
 * One detection rule: the finder, the form of the text it reads, and what that form must contain
 * for the finder to match at all (every pattern of the finder needs it), so text without it skips
 * the finder's patterns — a skip, never a different answer.
 */
type Rule = [kind: RedactionKind, finder: Finder, normalise: Normalise, needs: RegExp | null];

/** Applies one finder to every unmasked segment; masked segments are frozen. */
function apply(segments: Segment[], [, finder, normalise, needs]: Rule, found: Set<RedactionKind>): Segment[] {
  // Most rules find nothing in most messages: the segments are then handed on as they are.
  let out: Segment[] | null = null;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const spans = seg.masked ? [] : spansIn(formOf(seg, normalise), finder, needs);
    if (spans.length === 0) {
      out?.push(seg);
      continue;
    }
    out ??= segments.slice(0, i);
    let cursor = 0;
    for (const s of spans) {
      if (s.start > cursor) out.push({ text: seg.text.slice(cursor, s.start), masked: false });
      out.push({ text: s.replacement, masked: true });
      found.add(s.kind);
      cursor = s.end;
    }
    if (cursor < seg.text.length) out.push({ text: seg.text.slice(cursor), masked: false });
  }
  return out ?? segments;
}

/** What `finder` finds in `normal`, in order, overlaps dropped (the earlier, then the longer, wins). */
function spansIn(normal: string, finder: Finder, needs: RegExp | null): Span[] {
  if (needs && !needs.test(normal)) return [];
  const spans = finder(normal);
  if (spans.length < 2) return spans;
  return spans.sort((a, b) => a.start - b.start || b.end - a.end).filter((s, i, all) => all.slice(0, i).every((p) => p.end <= s.start));
}

/** Every number finder's patterns need an ASCII digit of the number form. */
const DIGIT = /\d/;

/** The rules without secrets, for the latest birth year they were made for: most calls name none. */
let plainRules: { latestBirthYear: number; rules: Rule[] } | null = null;

function rulesFor(secrets: readonly string[], latestBirthYear: number): Rule[] {
  if (secrets.length > 0) return makeRules(secrets, latestBirthYear);
  if (plainRules?.latestBirthYear !== latestBirthYear) plainRules = { latestBirthYear, rules: makeRules(secrets, latestBirthYear) };
  return plainRules.rules;
}

export function redact(text: string, opts: RedactOptions = {}): Redaction {
  const secrets = (opts.extraSecrets ?? []).map((s) => s.trim()).filter((s) => s.length > 0);
  const rules = rulesFor(secrets, opts.latestBirthYear ?? new Date().getUTCFullYear() - 14);
  const found = new Set<RedactionKind>();
  let segments: Segment[] = [{ text, masked: false }];
  for (const rule of rules) if (!opts.kinds || opts.kinds.includes(rule[0])) segments = apply(segments, rule, found);
  return { text: segments.length === 1 ? segments[0]!.text : segments.map((s) => s.text).join(''), found: RedactionKind.options.filter((k) => found.has(k)) };
}

function makeRules(secrets: readonly string[], latestBirthYear: number): Rule[] {
  return [
    ['email', findEmails, halfWidth, /@/],
    ['id_number', findResidentIds, numberForm, DIGIT],
    ['id_number', findLegacyIds, numberForm, DIGIT],
    ['card', findCards, numberForm, DIGIT],
    ['phone', findPhones, numberForm, DIGIT],
    ['card_security', findCardSecurity, numberForm, DIGIT],
    // Digits, or the all-Chinese form's 年.
    ['birth_date', findBirthDates(latestBirthYear), halfWidth, /\d|年/],
    ['secret', findSecrets(secrets), halfWidth, null],
    // The lead-ins of ZH_NAME's look-behind: 我叫, 我名叫, 本人叫, 我的名字是/叫, 本人姓名, 姓名.
    ['name', findChineseNames, halfWidth, /叫|名字|姓名/],
    ['name', findEnglishNames, halfWidth, null],
  ];
}

/**
 * Paths for pino's `redact` option (`pino({ redact: { paths: pinoRedactPaths, censor: '[REDACTED]' } })`).
 * Free text is censored whole in logs: logs are for operations, the redacted text lives in transcripts.
 */
export const pinoRedactPaths: readonly string[] = [
  'text',
  '*.text',
  'activity.text',
  'message',
  'verification',
  '*.verification',
  ...['last4', 'sealedLast4', 'dateOfBirth', 'dob', 'cardNumber', 'pan', 'idNumber', 'phone', 'email', 'answers', 'verificationAnswers'].flatMap((k) => [k, `*.${k}`]),
  'req.headers.authorization',
  'headers.authorization',
];

/** Health categories understanding can report; the only health facts the system keeps. */
export const HealthCategory = z.enum(['serious_illness', 'mental_health', 'self_harm']);
export type HealthCategory = z.infer<typeof HealthCategory>;

/**
 * Keeps only the category of a health disclosure. When understanding flags a message with a
 * health signal, the stored text becomes "[HEALTH:serious_illness]" and the decision records
 * carry the signal enum: the diagnosis itself ("我得了乳腺癌在化疗") is never stored.
 */
export function keepHealthCategory(text: string, signals: readonly string[]): Redaction & { categories: HealthCategory[] } {
  const categories = HealthCategory.options.filter((c) => signals.includes(c));
  if (categories.length === 0) return { text, found: [], categories };
  return { text: `[HEALTH:${categories.join(',')}]`, found: ['health'], categories };
}
