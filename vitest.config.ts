import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests wait for conditions; these ceilings only stop a hang. On a shared 2-core machine under
    // load (six sessions testing at once) a 30 s ceiling failed tests that passed on a re-run.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
