import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules', 'dist'],
    // After each file: the shared services still answer (restarted, and the file failed, if not).
    setupFiles: ['test/support/services-guard.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real processes and servers; running files one at a
    // time keeps them from competing for the two cores and the fixed ports.
    fileParallelism: false,
    pool: 'forks'
  }
})
