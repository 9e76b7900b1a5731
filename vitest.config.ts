import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./vitest.setup.ts'],
    globalSetup: ['./test/support/engines.setup.ts'],
    testTimeout: 30_000
  }
});
