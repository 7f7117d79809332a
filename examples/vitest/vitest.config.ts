import { defineConfig } from 'vitest/config'
import { pageBudget } from 'page-budget/vitest/plugin'
import { PageBudgetReporter } from 'page-budget/vitest/reporter'

// One VM with the page_owner test kernel boots for the whole run (page-budget kernel build
// makes the kernel); every test file's workers share it.
export default defineConfig({
  plugins: [pageBudget({ target: { kind: 'qemu', memory: 1024 } })],
  test: {
    include: ['examples/vitest/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default', new PageBudgetReporter()],
  },
})
