/** Time enters the bot only through a Clock, so tests, the simulator and replays are deterministic. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(iso: string): Clock {
  const at = new Date(iso);
  return { now: () => at };
}

/** The calendar date in a timezone (policies count due dates from the issuer's local day). */
export function todayIn(clock: Clock, timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    clock.now(),
  );
}
