import { defineConfig } from 'vitest/config';

// The container test: its own config, run by scripts/container-test.sh (which builds the image first).
export default defineConfig({
  test: {
    name: 'container',
    include: ['test/container/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 240_000,
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
  },
});
