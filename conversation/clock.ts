/** Time enters the bot only through a Clock, so tests, the simulator and replays are deterministic. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(iso: string): Clock {
  const at = new Date(iso);
  return { now: () => at };
}

/**
 * Building an Intl formatter costs far more than formatting with one: one per timezone, kept. And
 * a turn asks for today several times: the last answer is kept with the second it was for. Every
 * zone's offset is a whole number of seconds, so the date cannot change within one UTC second.
 */
const days = new Map<string, { format: Intl.DateTimeFormat; second: number; day: string }>();

/** The calendar date in a timezone (policies count due dates from the issuer's local day). */
export function todayIn(clock: Clock, timezone: string): string {
  let kept = days.get(timezone);
  if (!kept) {
    // en-CA writes dates as YYYY-MM-DD.
    kept = { format: new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }), second: NaN, day: '' };
    days.set(timezone, kept);
  }
  const now = clock.now();
  const second = Math.floor(now.getTime() / 1000);
  if (second !== kept.second) {
    kept.day = kept.format.format(now);
    kept.second = second;
  }
  return kept.day;
}
