/**
 * Waits for a condition instead of a fixed time: polls `check` until it holds and answers how long
 * that took; throws, naming the limit, when it has not held within `timeoutMs`.
 */
export async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error(`condition not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - started;
}
