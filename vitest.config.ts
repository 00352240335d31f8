import { defineConfig } from 'vitest/config';
import { PATIENCE_MS } from './test/support/until.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests wait for conditions; these ceilings only stop a hang. On a shared 2-core machine under
    // load (six sessions testing at once) a 30 s ceiling failed tests that passed on a re-run.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // expect.poll waits for its condition; the ceiling is the suite's one patience (test/support/until.ts).
    expect: { poll: { timeout: PATIENCE_MS } },
    pool: 'forks',
  },
});
