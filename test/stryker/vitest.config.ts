import { defineConfig } from 'vitest/config';

// Stryker runs the unit tests only (no servers, no subprocesses), in one project, so that
// per-test coverage maps each mutant to the few tests that reach it.
// BROKEN lists unit files that fail on main while the core is restructured: Stryker's dry run
// refuses a red suite, so they are left out until they pass again (empty this list then).
const BROKEN: string[] = (process.env.STRYKER_SKIP_TESTS ?? '').split(',').filter(Boolean);

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...BROKEN],
    setupFiles: ['test/support/equality.ts'],
    testTimeout: 10_000,
  },
});
