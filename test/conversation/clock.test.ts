import { describe, expect, it } from 'vitest';
import { fixedClock, todayIn, type Clock } from '../../conversation/clock.js';

describe('todayIn', () => {
  it('turns at local midnight, also when asked again and again around it (the day is kept per second)', () => {
    const at = (iso: string): Clock => fixedClock(iso);
    // Shanghai is UTC+8: its midnight is 16:00 UTC.
    expect(todayIn(at('2026-11-30T15:59:59.998Z'), 'Asia/Shanghai')).toBe('2026-11-30');
    expect(todayIn(at('2026-11-30T15:59:59.999Z'), 'Asia/Shanghai')).toBe('2026-11-30');
    expect(todayIn(at('2026-11-30T16:00:00.000Z'), 'Asia/Shanghai')).toBe('2026-12-01');
    // Back in time (a replay, a test clock) is answered as well.
    expect(todayIn(at('2026-11-30T15:59:59.999Z'), 'Asia/Shanghai')).toBe('2026-11-30');
    // Another zone at the same instant has its own day; New York's midnight moves with daylight saving.
    expect(todayIn(at('2026-11-30T16:00:00.000Z'), 'America/New_York')).toBe('2026-11-30');
    expect(todayIn(at('2026-07-01T03:59:59.999Z'), 'America/New_York')).toBe('2026-06-30');
    expect(todayIn(at('2026-07-01T04:00:00.000Z'), 'America/New_York')).toBe('2026-07-01');
    expect(todayIn(at('2026-12-01T04:59:59.999Z'), 'America/New_York')).toBe('2026-11-30');
    expect(todayIn(at('2026-12-01T05:00:00.000Z'), 'America/New_York')).toBe('2026-12-01');
  });
});
