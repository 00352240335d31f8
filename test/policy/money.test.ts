import { describe, expect, it } from 'vitest';
import { bpsOf, mulDiv, split } from '../../policy/money.js';

describe('money', () => {
  it('takes basis points rounding down by default, so a concession never exceeds its share', () => {
    expect(bpsOf(999, 5_000)).toBe(499);
    expect(bpsOf(1_000, 3_333)).toBe(333);
    expect(bpsOf(1_000, 10_000)).toBe(1_000);
    expect(bpsOf(1_000, 0)).toBe(0);
  });

  it('rounds up and half-up on request', () => {
    expect(bpsOf(999, 5_000, 'ceil')).toBe(500);
    expect(bpsOf(999, 5_000, 'halfUp')).toBe(500);
    expect(bpsOf(997, 5_000, 'halfUp')).toBe(499);
    expect(mulDiv(10, 1, 4, 'halfUp')).toBe(3);
    expect(mulDiv(9, 1, 4, 'halfUp')).toBe(2);
  });

  it('stays exact for balances where a float product would lose precision', () => {
    const big = 9_000_000_000_000_001;
    expect(Number.isSafeInteger(big)).toBe(true);
    expect(bpsOf(big, 10_000)).toBe(big);
    expect(bpsOf(big, 1)).toBe(900_000_000_000);
  });

  it('splits with the odd minor units on the last parts and sums exactly', () => {
    expect(split(100, 3)).toEqual([33, 33, 34]);
    expect(split(101, 3)).toEqual([33, 34, 34]);
    expect(split(99, 3)).toEqual([33, 33, 33]);
    expect(split(2, 5)).toEqual([0, 0, 0, 1, 1]);
    expect(split(1_070_000, 11).reduce((a, b) => a + b, 0)).toBe(1_070_000);
  });
});
