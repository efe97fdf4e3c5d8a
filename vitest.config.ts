import { defineConfig } from 'vitest/config';

// System tests create namespaces, bridges and QEMU guests; two workers match the two cores
// these machines have, and every test names its own namespace so files never collide.
export default defineConfig({
  test: {
    include: ['shared/**/*.test.ts', 'packet/**/*.test.ts', 'electron/**/*.test.ts', 'renderer/**/*.test.{ts,tsx}', 'e2e/**/*.spec.ts', 'scripts/**/*.test.ts', 'assets/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['scripts/test-global-setup.ts'],
  },
});
