/**
 * The one gate every bot-initiated message (reminder, follow-up, call-back) passes: stop-contact
 * and open disputes first, then the 7-day frequency cap, then local quiet hours in the
 * cardholder's own timezone. Local wall-clock time comes from `Intl.DateTimeFormat`, which knows
 * the IANA database and its DST rules, so no timezone library is needed.
 */
import { z } from 'zod';

const isTimeZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

export const TimeZone = z.string().refine(isTimeZone, 'must be an IANA timezone such as Asia/Shanghai');

/** Allowed window [start, end) in local time; defaults follow Regulation F's 8am–9pm. */
export const ContactRules = z
  .object({
    startHour: z.number().int().min(0).max(23).default(8),
    startMinute: z.number().int().min(0).max(59).default(0),
    endHour: z.number().int().min(0).max(24).default(21),
    endMinute: z.number().int().min(0).max(59).default(0),
    maxPer7Days: z.number().int().min(0).default(7),
  })
  .refine((r) => r.startHour * 60 + r.startMinute < r.endHour * 60 + r.endMinute, 'the window must start before it ends (same day)');
export type ContactRules = z.infer<typeof ContactRules>;

const InstantString = z.iso.datetime({ offset: true });

export const ContactRequest = z.object({
  now: InstantString,
  timezone: TimeZone,
  rules: ContactRules,
  /** Earlier bot-initiated contacts that were made (instants). */
  history: z.array(InstantString),
  stopContact: z.boolean(),
  disputeOpen: z.boolean(),
  /** A person has the case (handoff waiting or claimed): the bot does not start contact of its own. */
  handedOff: z.boolean().default(false),
});
export type ContactRequest = z.input<typeof ContactRequest>;

export const RefusalReason = z.enum(['stop_contact', 'dispute_open', 'handed_off', 'max_contacts', 'quiet_hours']);
export type RefusalReason = z.infer<typeof RefusalReason>;

export type ContactDecision = { allowed: true } | { allowed: false; reason: RefusalReason; nextAllowedAt?: string };

const DAY_MS = 24 * 60 * 60 * 1000;

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

export function wallClock(instantMs: number, timeZone: string): WallClock {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(instantMs)).map((p) => [p.type, p.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute) };
}

/** UTC offset in ms at an instant (whole minutes in every current zone, so seconds can be dropped). */
const offsetAt = (instantMs: number, timeZone: string) => {
  const w = wallClock(instantMs, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute) - Math.floor(instantMs / 60_000) * 60_000;
};

/**
 * The instant a local wall-clock time happens. Two passes settle the offset across a DST change;
 * a time skipped by spring-forward lands just after the gap.
 */
export function instantOf(local: WallClock, timeZone: string): number {
  const asUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  const first = asUtc - offsetAt(asUtc, timeZone);
  const second = asUtc - offsetAt(first, timeZone);
  return Math.max(first, second);
}

const minutes = (h: number, m: number) => h * 60 + m;

export function withinAllowedHours(instantMs: number, timeZone: string, rules: ContactRules): boolean {
  const w = wallClock(instantMs, timeZone);
  const m = minutes(w.hour, w.minute);
  return m >= minutes(rules.startHour, rules.startMinute) && m < minutes(rules.endHour, rules.endMinute);
}

/** The first allowed instant at or after `fromMs`. */
export function nextWindowStart(fromMs: number, timeZone: string, rules: ContactRules): number {
  if (withinAllowedHours(fromMs, timeZone, rules)) return fromMs;
  const w = wallClock(fromMs, timeZone);
  const beforeStart = minutes(w.hour, w.minute) < minutes(rules.startHour, rules.startMinute);
  const day = new Date(Date.UTC(w.year, w.month - 1, w.day + (beforeStart ? 0 : 1)));
  return instantOf({ year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate(), hour: rules.startHour, minute: rules.startMinute }, timeZone);
}

export function mayContact(input: ContactRequest): ContactDecision {
  const req = ContactRequest.parse(input);
  if (req.stopContact) return { allowed: false, reason: 'stop_contact' };
  if (req.disputeOpen) return { allowed: false, reason: 'dispute_open' };
  if (req.handedOff) return { allowed: false, reason: 'handed_off' };
  const now = Date.parse(req.now);
  const recent = req.history.map(Date.parse).filter((t) => t > now - 7 * DAY_MS && t <= now).sort((a, b) => a - b);
  if (recent.length >= req.rules.maxPer7Days) {
    if (req.rules.maxPer7Days === 0) return { allowed: false, reason: 'max_contacts' };
    // The cap frees up when enough of the window's contacts are older than 7 days.
    const freedAt = recent[recent.length - req.rules.maxPer7Days]! + 7 * DAY_MS;
    return { allowed: false, reason: 'max_contacts', nextAllowedAt: new Date(nextWindowStart(freedAt, req.timezone, req.rules)).toISOString() };
  }
  if (!withinAllowedHours(now, req.timezone, req.rules)) {
    return { allowed: false, reason: 'quiet_hours', nextAllowedAt: new Date(nextWindowStart(now, req.timezone, req.rules)).toISOString() };
  }
  return { allowed: true };
}
