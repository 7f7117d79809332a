import { defineConfig } from '@playwright/test'
import { pageBudgetReporter, type PageBudgetWorkerFixtures } from '../../../src/playwright/index.js'
import { CAPTURE } from '../../helpers.js'

// The workload under Playwright, for the report comparison (test/report/same-json.test.ts).
export default defineConfig<object, PageBudgetWorkerFixtures>({
  testDir: '.',
  testMatch: '*.workload.ts',
  workers: 1,
  reporter: [['list'], [pageBudgetReporter, { outputFile: process.env.PAGE_BUDGET_REPORT }]],
  use: { pageBudgetConfig: { target: { kind: 'replay', dir: CAPTURE, step: 'before' }, cacheDir: process.env.PAGE_BUDGET_TEST_CACHE } },
})
