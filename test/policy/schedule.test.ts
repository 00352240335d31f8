import { describe, expect, it } from 'vitest';
import { addDays, addMonths } from '../../policy/dates.js';
import { schedule } from '../../policy/schedule.js';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('due dates', () => {
  it('steps monthly from the start date, clamped to the end of shorter months', () => {
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonths('2028-01-31', 1)).toBe('2028-02-29');
    expect(addMonths('2026-01-31', 2)).toBe('2026-03-31');
    expect(addMonths('2026-11-15', 3)).toBe('2027-02-15');
    expect(addDays('2026-01-31', 30)).toBe('2026-03-02');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
  });
});

describe('schedule', () => {
  it('splits a 0% plan evenly with the remainder on the last lines', () => {
    const lines = schedule({ principalMinor: 1_000_001, months: 3, annualRateBps: 0, startDate: '2026-01-31' });
    expect(lines.map((l) => l.amountMinor)).toEqual([333_333, 333_334, 333_334]);
    expect(lines.map((l) => l.dueDate)).toEqual(['2026-02-28', '2026-03-31', '2026-04-30']);
    expect(lines.every((l) => l.interestMinor === 0)).toBe(true);
  });

  it('amortises at a rate with a standard level payment', () => {
    // 10 000.00 at 12 % a year (1 % a month) over 12 months: the textbook payment is 888.49.
    const lines = schedule({ principalMinor: 1_000_000, months: 12, annualRateBps: 1_200, startDate: '2026-01-15' });
    expect(lines[0]).toEqual({ n: 1, dueDate: '2026-02-15', amountMinor: 88_849, principalMinor: 78_849, interestMinor: 10_000 });
    expect(lines.slice(0, 11).every((l) => l.amountMinor === 88_849)).toBe(true);
    expect(sum(lines.map((l) => l.principalMinor))).toBe(1_000_000);
    expect(sum(lines.map((l) => l.amountMinor))).toBe(sum(lines.map((l) => l.principalMinor + l.interestMinor)));
    expect(lines[11]!.amountMinor).toBeLessThanOrEqual(88_849);
  });

  it('pays off exactly the principal for every term and rate', () => {
    for (const months of [1, 2, 7, 24, 60]) {
      for (const annualRateBps of [0, 1, 600, 1_800, 10_000]) {
        const lines = schedule({ principalMinor: 123_457, months, annualRateBps, startDate: '2026-03-31' });
        expect(lines).toHaveLength(months);
        expect(sum(lines.map((l) => l.principalMinor))).toBe(123_457);
        for (const l of lines) expect(l.amountMinor).toBe(l.principalMinor + l.interestMinor);
      }
    }
  });
});
