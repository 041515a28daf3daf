import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // bin/pgmedic runs dist/: build it from the current sources first (esbuild, well under a second).
    globalSetup: ['test/support/build.ts'],
    // Each file starts its own PostgreSQL; two workers fit our 2-core machines.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
