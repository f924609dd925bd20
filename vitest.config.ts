// Vitest for the JavaScript side: the API against the built package (tests/js) and the
// end-to-end tests (tests/e2e: headless Chromium, npm pack and Vite consumers).
// The machines have 2 cores: two workers keep both busy without Chromium, Vite and the wasm
// tests fighting over a core (which turns timing-sensitive waits into flaky failures).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/js/**/*.test.ts', 'tests/e2e/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    maxWorkers: 2,
    // Unit tests are fast; the e2e files set their own, longer timeouts per test.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // A test.only left behind would silently skip the rest of the suite in CI.
    allowOnly: !process.env.CI,
  },
});
