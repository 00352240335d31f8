/**
 * The significance readout for a champion/challenger comparison: a two-proportion z-test (pooled
 * standard error for the test, unpooled for the Wald confidence interval of the difference), the
 * textbook test a risk team expects to see. The normal distribution comes from simple-statistics.
 */
import { errorFunction } from 'simple-statistics';

export interface ProportionTest {
  /** Successes and trials of A (the champion) and B (the challenger). */
  a: { successes: number; trials: number; rate: number };
  b: { successes: number; trials: number; rate: number };
  /** rate(B) − rate(A). */
  difference: number;
  confidence: number;
  /** Confidence interval of the difference. */
  interval: [number, number];
  z: number;
  /** Two-sided. */
  pValue: number;
  /** The normal approximation holds: at least 5 successes and 5 failures on each side. */
  enoughData: boolean;
  /** p below 1 − confidence, with enough data. */
  significant: boolean;
}

const normalCdf = (z: number) => 0.5 * (1 + errorFunction(z / Math.SQRT2));

/**
 * The two-sided critical value by bisection on the CDF: simple-statistics' `probit` is a coarse
 * approximation (1.957 for 97.5%, against 1.95996), too far off for an interval a team acts on.
 */
export function normalQuantile(p: number): number {
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 80; i += 1) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export function twoProportionTest(
  a: { successes: number; trials: number },
  b: { successes: number; trials: number },
  confidence = 0.95,
): ProportionTest | null {
  if (a.trials === 0 || b.trials === 0) return null;
  const pa = a.successes / a.trials;
  const pb = b.successes / b.trials;
  const pooled = (a.successes + b.successes) / (a.trials + b.trials);
  const se0 = Math.sqrt(pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials));
  const z = se0 === 0 ? 0 : (pb - pa) / se0;
  const pValue = se0 === 0 ? 1 : 2 * (1 - normalCdf(Math.abs(z)));
  const se = Math.sqrt((pa * (1 - pa)) / a.trials + (pb * (1 - pb)) / b.trials);
  const critical = normalQuantile(1 - (1 - confidence) / 2);
  const enoughData = [a, b].every((g) => g.successes >= 5 && g.trials - g.successes >= 5);
  return {
    a: { ...a, rate: pa },
    b: { ...b, rate: pb },
    difference: pb - pa,
    confidence,
    interval: [pb - pa - critical * se, pb - pa + critical * se],
    z,
    pValue,
    enoughData,
    significant: enoughData && pValue < 1 - confidence,
  };
}
