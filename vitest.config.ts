import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules', 'dist'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real processes and servers; running files one at a
    // time keeps them from competing for the two cores and the fixed ports.
    fileParallelism: false,
    pool: 'forks'
  }
})
