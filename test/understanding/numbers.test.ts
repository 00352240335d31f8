import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  findQuantities,
  parseAmountMinor,
  parseDays,
  parseMonths,
  parsePercentBps,
  prepare,
} from '../../bot/understanding/numbers.js';

describe('amounts in minor units', () => {
  it.each([
    ['3500', 350000],
    ['3,500', 350000],
    ['1,500,000', 150000000],
    ['1500.50', 150050],
    ['0.05', 5],
    ['三千五', 350000],
    ['两万', 2000000],
    ['一万二', 1200000],
    ['两万五', 2500000],
    ['一百五', 15000],
    ['一百零五', 10500],
    ['五千零五十', 505000],
    ['十二', 1200],
    ['二十', 2000],
    ['5千', 500000],
    ['3万5', 3500000],
    ['1万2000', 1200000],
    ['1.2万', 1200000],
    ['1.25万', 1250000],
    ['一点五万', 1500000],
    ['每月两千', 200000],
    ['$1,200', 120000],
    ['1.5k', 150000],
    ['2K', 200000],
    ['1.2w', 1200000],
    ['¥800', 80000],
    ['１５００', 150000],
    ['兩萬', 2000000],
    ['一萬二', 1200000],
    ['三億', 30000000000],
    ['一亿二千万', 12000000000],
    ['壹仟伍佰元', 150000],
    ['three thousand', 300000],
    ['five hundred dollars', 50000],
    ['twenty-five bucks', 2500],
    ['三四千', 300000],
    ['-5', -500],
    ['负五百', -50000],
  ])('%s → %i', (text, minor) => {
    expect(parseAmountMinor(text)).toBe(minor);
  });

  it('reads "1,5" as a decimal comma, "1,500" as thousands', () => {
    expect(parseAmountMinor('1,5')).toBe(150);
    expect(parseAmountMinor('12,50')).toBe(1250);
    expect(parseAmountMinor('1,500')).toBe(150000);
  });

  it('gives up on amounts beyond safe integers instead of rounding them', () => {
    expect(parseAmountMinor('10^15')).toBeNull();
    expect(parseAmountMinor('10^12')).toBe(100000000000000);
    expect(parseAmountMinor('$9,000,000,000,000,000')).toBeNull();
  });

  it('is exact where floating point is not', () => {
    expect(0.1 * 3 * 100).not.toBe(30);
    expect(parseAmountMinor('0.3')).toBe(30);
    expect(parseAmountMinor('1.15万')).toBe(1150000);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999_999 }), fc.integer({ min: 0, max: 99 }), (whole, cents) => {
        const text = `${whole}.${String(cents).padStart(2, '0')}`;
        expect(parseAmountMinor(text)).toBe(whole * 100 + cents);
      }),
    );
  });

  it.each([
    ['尾号1234', 'card digits'],
    ['last four digits are 1234', 'card digits'],
    ['2024年', 'a year'],
    ['3月15号', 'a date'],
    ['15号', 'a day of the month'],
    ['下午3点', 'a time'],
    ['10:30', 'a time'],
    ['周五', 'a weekday'],
    ['13800138000', 'a phone number'],
    ['我有两个孩子', 'a count of people'],
    ['千万别打了', 'an idiom'],
    ['万一还不上', 'an idiom'],
    ['十分感谢', 'an idiom'],
    ['chapter 7', 'a bankruptcy chapter'],
    ['第二个', 'an ordinal'],
    ['一下', 'a lone numeral without a unit'],
  ])('%s is %s, not an amount', (text) => {
    expect(parseAmountMinor(text)).toBeNull();
  });
});

describe('plan lengths in months', () => {
  it.each([
    ['分12期', 12],
    ['十二期', 12],
    ['12个月', 12],
    ['18個月', 18],
    ['一年', 12],
    ['半年', 6],
    ['两年', 24],
    ['兩年', 24],
    ['一年半', 18],
    ['1.5年', 18],
    ['24 months', 24],
    ['twelve months', 12],
    ['over a year', 12],
    ['half a year', 6],
    ['2 years', 24],
    ['分24个月', 24],
    ['0个月', 0],
    ['-5个月', -5],
  ])('%s → %i', (text, months) => {
    expect(parseMonths(text)).toBe(months);
  });

  it('does not read "300 a month" or "a year ago" as a plan length', () => {
    expect(parseMonths('300 a month')).toBeNull();
    expect(parseMonths('一年前失业了')).toBeNull();
    expect(parseMonths('3 months ago')).toBeNull();
  });
});

describe('deferral days', () => {
  it.each([
    ['推迟一个月', 30],
    ['延期15天', 15],
    ['两周', 14],
    ['半个月', 15],
    ['30 days', 30],
    ['two weeks', 14],
  ])('%s → %i', (text, days) => {
    expect(parseDays(text)).toBe(days);
  });
});

describe('shares in basis points taken off', () => {
  it.each([
    ['90% off', 9000],
    ['减免九成', 9000],
    ['打三折', 7000],
    ['打8.5折', 1500],
    ['85折', 1500],
    ['百分之九十', 9000],
    ['一半', 5000],
    ['half', 5000],
    ['50 percent', 5000],
  ])('%s → %i', (text, bps) => {
    expect(parsePercentBps(text)).toBe(bps);
  });
});

describe('findQuantities', () => {
  it('finds each number with its kind and span, in order', () => {
    const text = prepare('我月收入八千，分12期，每月还1500，减免三成');
    const found = findQuantities(text).map((q) => [q.kind, q.value, text.slice(q.start, q.end)]);
    expect(found).toEqual([
      ['amount', 800000, '八千'],
      ['months', 12, '12'],
      ['amount', 150000, '1500'],
      ['percent', 3000, '三'],
    ]);
  });

  it('marks amounts with a currency', () => {
    const [q] = findQuantities(prepare('$300'));
    expect(q).toMatchObject({ kind: 'amount', value: 30000, currency: true });
  });
});

describe('numbers people write (issue 12)', () => {
  it.each([
    ['4k8', 480000],
    ['2k5', 250000],
    ['8k5', 850000],
    ['1w2', 1200000],
    ['1万2', 1200000],
    ['三千块左右', 300000],
    ['9k', 900000],
    ['12k', 1200000],
    ['$1.2k', 120000],
    ['９０００', 900000],
    ['到手9k', 900000],
  ])('%s → %i', (text, minor) => {
    expect(parseAmountMinor(text)).toBe(minor);
  });

  it.each(['6222 0212 3456 7890', '6222-0212-3456-7890', '138 0013 8000', '622202123456789'])('%s is never an amount', (text) => {
    expect(findQuantities(prepare(text)).filter((q) => q.kind === 'amount')).toEqual([]);
  });

  it('reads a spoken range with both ends, low first', () => {
    expect(findQuantities(prepare('五六百'))).toMatchObject([{ kind: 'amount', value: 50000, upper: 60000 }]);
    expect(findQuantities(prepare('三四千块'))).toMatchObject([{ kind: 'amount', value: 300000, upper: 400000 }]);
    expect(findQuantities(prepare('三千五'))).toMatchObject([{ kind: 'amount', value: 350000, upper: null }]);
  });
});
