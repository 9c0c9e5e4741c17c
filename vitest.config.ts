import { defineConfig } from 'vitest/config';

const common = { testTimeout: 60_000, hookTimeout: 60_000, pool: 'forks' as const };

export default defineConfig({
  test: {
    projects: [
      { test: { ...common, name: 'main', include: ['test/**/*.test.ts'] } },
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
    ],
  },
});
