import { defineConfig } from '@playwright/test'
import { pageBudgetGlobalSetup, pageBudgetReporter, type PageBudgetWorkerFixtures } from 'page-budget/playwright'

// One VM with the page_owner test kernel boots for the whole run (globalSetup; the kernel comes
// from `page-budget kernel build`); every worker connects to it. No browser is involved.
export default defineConfig<object, PageBudgetWorkerFixtures>({
  testDir: '.',
  globalSetup: pageBudgetGlobalSetup,
  timeout: 120_000,
  reporter: [
    ['list'],
    ['html', { open: 'never' }],
    [pageBudgetReporter, { outputFile: process.env.PAGE_BUDGET_REPORT }],
  ],
  use: {
    pageBudgetConfig: { target: { kind: 'qemu', memory: 1024 }, baseline: { tolerance: '5%' } },
  },
})
