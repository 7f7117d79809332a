import { defineConfig } from 'vitest/config'
import { pageBudget } from 'page-budget/vitest/plugin'

// KERNEL: the bzImage (or build directory) `page-budget kernel build --source ...` made.
export default defineConfig({
  plugins: [pageBudget({ target: { kind: 'qemu', memory: 1024, ...(process.env.KERNEL && { kernel: process.env.KERNEL }) } })],
  test: {
    include: ['examples/your-kernel/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
})
