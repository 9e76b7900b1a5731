import { defineConfig } from 'vitest/config';

/**
 * The fast engine tests only, for StrykerJS (`npm run test:mutation`): the example tests of the
 * lifecycle, the document check, and the lifecycle and deadline properties at a fixed seed and
 * 300 runs, so that a mutant is killed or not the same way on every run. The graph coverage and the
 * Fleet, hub and CLI suites stay out: each mutant reruns every test that covers it. Files
 * share one module graph (`isolate: false`): re-importing XState per file per mutant would
 * cost more than the tests.
 */
export default defineConfig({
  test: {
    include: [
      'test/runtime/*.test.ts',
      'test/runtime/buildbot/**/*.test.ts',
      'test/runtime/transitions/**/*.test.ts',
      'test/machines/lifecycleDoc.test.ts',
      'test/machines/bare.test.ts',
      'test/machines/edges.test.ts',
      'test/properties/lifecycle.test.ts',
      'test/properties/deadlines.test.ts'
    ],
    // Loads the package built by tsc, which mutants never reach.
    exclude: ['test/runtime/errors.test.ts'],
    setupFiles: ['./vitest.setup.ts'],
    env: { FC_NUM_RUNS: '300', FC_SEED: '20261127' },
    isolate: false,
    testTimeout: 30_000
  }
});
