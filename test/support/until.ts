/**
 * The one ceiling for waiting on a condition. A wait ends as soon as its condition holds; the
 * ceiling only turns a hang into a failure, so it is set for the slowest machine the suite runs on
 * (a shared 2-core machine with several suites at once, where 5–20 s ceilings failed waits that
 * passed on a re-run), not for how long the condition usually takes. vitest.config.ts gives
 * `expect.poll` the same ceiling.
 */
export const PATIENCE_MS = 60_000;

/**
 * Waits for a condition instead of a fixed time: polls `check` until it holds and answers how long
 * that took; throws, naming the limit, when it has not held within `timeoutMs`.
 */
export async function until(check: () => Promise<boolean>, timeoutMs = PATIENCE_MS): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error(`condition not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - started;
}
