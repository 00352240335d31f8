import { describe, expect, it } from 'vitest';
import { findDates } from '../../bot/understanding/dates.js';
import { prepare } from '../../bot/understanding/numbers.js';

// 2025-03-12 is a Wednesday.
const TODAY = '2025-03-12';
const dateOf = (text: string, today = TODAY) => findDates(prepare(text), today)[0]?.date ?? null;

describe('dates resolved against today', () => {
  it.each([
    ['今天', '2025-03-12'],
    ['明天', '2025-03-13'],
    ['後天', '2025-03-14'],
    ['大后天', '2025-03-15'],
    ['周五', '2025-03-14'],
    ['这周五', '2025-03-14'],
    ['下周五', '2025-03-21'],
    ['下週一', '2025-03-17'],
    ['下礼拜天', '2025-03-23'],
    ['星期三', '2025-03-12'],
    ['15号', '2025-03-15'],
    ['10号', '2025-04-10'],
    ['下个月5号', '2025-04-05'],
    ['3月20日', '2025-03-20'],
    ['1月5号', '2026-01-05'],
    ['2025-04-01', '2025-04-01'],
    ['月底', '2025-03-31'],
    ['三天后', '2025-03-15'],
    ['tomorrow', '2025-03-13'],
    ['today', '2025-03-12'],
    ['Friday', '2025-03-14'],
    ['next Friday', '2025-03-21'],
    ['the 15th', '2025-03-15'],
    ['on the 2nd', '2025-04-02'],
    ['March 20', '2025-03-20'],
    ['20th of March', '2025-03-20'],
    ['in 10 days', '2025-03-22'],
    ['end of the month', '2025-03-31'],
  ])('%s → %s', (text, iso) => {
    expect(dateOf(text)).toBe(iso);
  });

  it('crosses month and year ends and clamps to the month length', () => {
    expect(dateOf('明天', '2025-12-31')).toBe('2026-01-01');
    expect(dateOf('31号', '2025-02-10')).toBe('2025-02-28');
    expect(dateOf('月底', '2024-02-03')).toBe('2024-02-29');
  });

  it('finds nothing in undated text or impossible dates', () => {
    expect(dateOf('我每月还1500')).toBeNull();
    expect(dateOf('2025-02-30')).toBeNull();
    expect(dateOf('the second one')).toBeNull();
  });
});

describe('dates people read two ways', () => {
  const mention = (text: string, today = TODAY) => findDates(prepare(text), today)[0];
  it.each([
    // Wednesday: this week's Friday is still ahead, so "next Friday" may mean it
    ['下周五', TODAY, '2025-03-21', '2025-03-14'],
    ['next friday', TODAY, '2025-03-21', '2025-03-14'],
    ['下個禮拜五', TODAY, '2025-03-21', '2025-03-14'],
    // Wednesday: "next Monday" can only be the coming one
    ['下周一', TODAY, '2025-03-17', null],
    // Saturday: "next Friday" is unambiguous by then
    ['next friday', '2025-03-15', '2025-03-21', null],
    ['这周五', TODAY, '2025-03-14', null],
    ['周五', TODAY, '2025-03-14', null],
    ['下下周五', TODAY, '2025-03-28', null],
  ])('%s on %s → %s (other reading %s)', (text, today, date, alternative) => {
    expect(mention(text, today)).toMatchObject({ date, alternative });
  });
});
