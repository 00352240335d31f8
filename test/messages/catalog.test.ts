import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { catalogs, formatDate, formatMoney, formatWeekday, t } from '../../conversation/messages/index.js';

describe('message catalogs', () => {
  it('every language has exactly the same keys', () => {
    const en = Object.keys(catalogs.en).sort();
    expect(Object.keys(catalogs['zh-CN']).sort()).toEqual(en);
    expect(Object.keys(catalogs['zh-TW']).sort()).toEqual(en);
  });

  it('every language uses the same placeholders for a key', () => {
    const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(catalogs.en)) {
      expect(names(catalogs['zh-CN'][key]!), key).toEqual(names(catalogs.en[key]!));
      expect(names(catalogs['zh-TW'][key]!), key).toEqual(names(catalogs.en[key]!));
    }
  });

  it('refuses unknown keys and missing variables instead of printing a blank', () => {
    // @ts-expect-error a key that is in no catalog does not compile (MessageKey)
    expect(() => t('en', 'no.such.key')).toThrow(/no key/);
  });

  it('the compiled key type names every zh-CN catalog file, so every key is typed', () => {
    const dir = new URL('../../conversation/messages/catalog/zh-CN/', import.meta.url);
    const index = readFileSync(new URL('../../conversation/messages/index.ts', import.meta.url), 'utf8');
    const files = ['zh-CN.json', ...readdirSync(dir).filter((n) => n.endsWith('.json')).map((n) => `zh-CN/${n}`)];
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) expect(index, file).toContain(`import('./catalog/${file}'`);
  });

  it('formats minor units exactly, including amounts a float would round', () => {
    expect(formatMoney(123456, 'CNY', 'zh-CN')).toBe('¥1,234.56');
    expect(formatMoney(5, 'USD', 'en')).toBe('$0.05');
    expect(formatMoney(900719925474099, 'USD', 'en')).toBe('$9,007,199,254,740.99');
  });
});

describe('dates in the cardholder\'s order', () => {
  it('English follows the order the cardholder wrote; Chinese is always year-month-day', () => {
    expect(formatDate('2026-12-04', 'en', 'mdy')).toBe('12/04/2026');
    expect(formatDate('2026-12-04', 'en', 'dmy')).toBe('04/12/2026');
    expect(formatDate('2026-12-04', 'en')).toBe('2026-12-04');
    expect(formatDate('2026-12-04', 'zh-CN', 'mdy')).toBe('2026年12月4日');
    expect(formatWeekday('2026-12-04', 'zh-TW')).toBe('星期五');
    expect(formatWeekday('2026-12-04', 'en')).toBe('Friday');
  });
});
