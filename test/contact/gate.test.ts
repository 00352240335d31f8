import { describe, expect, it } from 'vitest';
import { instantOf, mayContact, wallClock, withinAllowedHours, ContactRules, type ContactRequest } from '../../bot/contact/gate.js';

const rules = ContactRules.parse({});
const base = (over: Partial<ContactRequest>): ContactRequest => ({ now: '2024-03-05T02:00:00Z', timezone: 'Asia/Shanghai', rules, history: [], stopContact: false, disputeOpen: false, ...over });

describe('mayContact', () => {
  it('allows 10:00 in Shanghai and refuses 07:59 and 21:00 with the next 08:00 local', () => {
    expect(mayContact(base({ now: '2024-03-05T02:00:00Z' }))).toEqual({ allowed: true });
    expect(mayContact(base({ now: '2024-03-04T23:59:00Z' }))).toEqual({ allowed: false, reason: 'quiet_hours', nextAllowedAt: '2024-03-05T00:00:00.000Z' });
    expect(mayContact(base({ now: '2024-03-05T13:00:00Z' }))).toEqual({ allowed: false, reason: 'quiet_hours', nextAllowedAt: '2024-03-06T00:00:00.000Z' });
    expect(mayContact(base({ now: '2024-03-05T12:59:00Z' }))).toEqual({ allowed: true });
  });

  it('judges the same instant by each cardholder’s own clock', () => {
    const now = '2024-07-01T13:30:00Z'; // 21:30 Shanghai, 09:30 New York
    expect(mayContact(base({ now, timezone: 'Asia/Shanghai' })).allowed).toBe(false);
    expect(mayContact(base({ now, timezone: 'America/New_York' })).allowed).toBe(true);
  });

  it('follows New York across spring-forward: 08:00 local is 13:00Z before and 12:00Z after', () => {
    const ny = (now: string) => mayContact(base({ now, timezone: 'America/New_York' }));
    // Saturday 9 March 2024, 07:30 EST; next window 08:00 EST = 13:00Z.
    expect(ny('2024-03-09T12:30:00Z')).toEqual({ allowed: false, reason: 'quiet_hours', nextAllowedAt: '2024-03-09T13:00:00.000Z' });
    // Sunday 10 March, 02:30 EDT does not exist; at 06:30Z it is 01:30 EST: next window 08:00 EDT = 12:00Z.
    expect(ny('2024-03-10T06:30:00Z')).toEqual({ allowed: false, reason: 'quiet_hours', nextAllowedAt: '2024-03-10T12:00:00.000Z' });
    expect(ny('2024-03-10T12:00:00Z')).toEqual({ allowed: true });
    expect(ny('2024-03-10T11:59:00Z').allowed).toBe(false);
  });

  it('follows New York across fall-back: 20:59 EDT allowed, 21:00 EST refused', () => {
    const ny = (now: string) => mayContact(base({ now, timezone: 'America/New_York' }));
    expect(ny('2024-11-02T00:59:00Z')).toEqual({ allowed: true }); // Fri 1 Nov 20:59 EDT
    expect(ny('2024-11-03T01:00:00Z').allowed).toBe(false); // Sat 2 Nov 21:00 EDT
    // Sunday 3 Nov 21:00 EST = 4 Nov 02:00Z; next window Monday 08:00 EST = 13:00Z.
    expect(ny('2024-11-04T02:00:00Z')).toEqual({ allowed: false, reason: 'quiet_hours', nextAllowedAt: '2024-11-04T13:00:00.000Z' });
    expect(ny('2024-11-04T01:59:00Z')).toEqual({ allowed: true });
  });

  it('caps contacts per 7 days and says when the oldest falls out of the window', () => {
    const capped = ContactRules.parse({ maxPer7Days: 2 });
    const history = ['2024-03-01T03:00:00Z', '2024-03-03T03:00:00Z'];
    expect(mayContact(base({ now: '2024-03-05T03:00:00Z', rules: capped, history }))).toEqual({
      allowed: false,
      reason: 'max_contacts',
      nextAllowedAt: '2024-03-08T03:00:00.000Z',
    });
    expect(mayContact(base({ now: '2024-03-08T03:00:00Z', rules: capped, history })).allowed).toBe(true);
    // Freed at 23:00 local: the next moment is 08:00 local the day after.
    const late = ['2024-03-01T15:00:00Z', '2024-03-03T15:00:00Z'];
    expect(mayContact(base({ now: '2024-03-05T03:00:00Z', rules: capped, history: late }))).toMatchObject({ nextAllowedAt: '2024-03-09T00:00:00.000Z' });
  });

  it('never contacts after stop-contact or while a dispute is open, whatever the hour', () => {
    expect(mayContact(base({ stopContact: true }))).toEqual({ allowed: false, reason: 'stop_contact' });
    expect(mayContact(base({ disputeOpen: true }))).toEqual({ allowed: false, reason: 'dispute_open' });
    expect(mayContact(base({ rules: ContactRules.parse({ maxPer7Days: 0 }) }))).toEqual({ allowed: false, reason: 'max_contacts' });
  });

  it('rejects an unknown timezone and an inverted window', () => {
    expect(() => mayContact(base({ timezone: 'Mars/Olympus' }))).toThrow(/timezone/);
    expect(() => ContactRules.parse({ startHour: 21, endHour: 8 })).toThrow();
  });
});

describe('wall clock helpers', () => {
  it('round-trips local times through instantOf in both zones', () => {
    for (const tz of ['Asia/Shanghai', 'America/New_York']) {
      for (const local of [
        { year: 2024, month: 3, day: 10, hour: 8, minute: 0 },
        { year: 2024, month: 11, day: 3, hour: 20, minute: 59 },
        { year: 2024, month: 1, day: 31, hour: 0, minute: 5 },
      ]) {
        expect(wallClock(instantOf(local, tz), tz)).toEqual(local);
      }
    }
    expect(withinAllowedHours(Date.parse('2024-03-10T12:00:00Z'), 'America/New_York', rules)).toBe(true);
  });
});
