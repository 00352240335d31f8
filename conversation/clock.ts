/** Time enters the bot only through a Clock, so tests, the simulator and replays are deterministic. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(iso: string): Clock {
  const at = new Date(iso);
  return { now: () => at };
}

/** Building an Intl formatter costs far more than formatting with one: one per timezone, kept. */
const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar date in a timezone (policies count due dates from the issuer's local day). */
export function todayIn(clock: Clock, timezone: string): string {
  let format = dayFormats.get(timezone);
  if (!format) {
    // en-CA writes dates as YYYY-MM-DD.
    format = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(timezone, format);
  }
  return format.format(clock.now());
}
