import { defineConfig } from 'vitest/config';

const common = { testTimeout: 60_000, hookTimeout: 60_000, pool: 'forks' as const };

/**
 * Tests that assert a wall-clock bound (a neighbour never stalls more than
 * 100 ms while a guest does something expensive). They measure the machine
 * as much as the code when other test files run beside them, so `npm test`
 * runs them in a second pass, one file at a time (the `timing` project).
 */
const timing = ['test/security/hostfs_readdir.test.ts', 'test/security/neighbour_stall.test.ts', 'test/runtime/cpu_share.test.ts'];

export default defineConfig({
  test: {
    projects: [
      { test: { ...common, name: 'main', include: ['test/**/*.test.ts', 'examples/**/*.test.ts'], exclude: timing } },
      // the syscall suite again, each call crossing the sentry platform's channel (harness.ts PLATFORM)
      {
        test: {
          ...common,
          name: 'sentry',
          include: ['test/kernel/syscalls/**/*.test.ts'],
          exclude: ['test/kernel/syscalls/inline_platform.test.ts'],
          env: { WASMVISOR_PLATFORM: 'sentry' },
        },
      },
      { test: { ...common, name: 'timing', include: timing, fileParallelism: false } },
    ],
  },
});
