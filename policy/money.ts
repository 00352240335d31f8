/**
 * Integer money helpers. Amounts are minor units and shares are basis points; intermediate products
 * go through BigInt so a large balance times 10 000 can never lose precision.
 */

export type Rounding = 'floor' | 'ceil' | 'halfUp';

/** a × b / c for non-negative integers, rounded as asked. */
export function mulDiv(a: number, b: number, c: number, rounding: Rounding): number {
  return Number(mulDivBig(BigInt(a), BigInt(b), BigInt(c), rounding));
}

export function mulDivBig(a: bigint, b: bigint, c: bigint, rounding: Rounding): bigint {
  const n = a * b;
  const q = n / c;
  const r = n % c;
  if (r === 0n || rounding === 'floor') return q;
  if (rounding === 'ceil') return q + 1n;
  return 2n * r >= c ? q + 1n : q;
}

/**
 * bps of an amount. Concessions round down (`floor`) so the issuer never gives away more than the
 * policy share; that is the default.
 */
export function bpsOf(amountMinor: number, bps: number, rounding: Rounding = 'floor'): number {
  return mulDiv(amountMinor, bps, 10_000, rounding);
}

/**
 * Split a total into `parts` integer shares that differ by at most one minor unit and sum exactly to
 * the total; the extra units go on the last shares, so earlier payments are never larger.
 */
export function split(totalMinor: number, parts: number): number[] {
  const base = Math.floor(totalMinor / parts);
  const extra = totalMinor - base * parts;
  return Array.from({ length: parts }, (_, i) => (i >= parts - extra ? base + 1 : base));
}
