import { defineConfig } from '@playwright/test'
import { pageBudgetReporter, type PageBudgetWorkerFixtures } from '../../../src/playwright/index.js'
import { CAPTURE } from '../../helpers.js'

// page-budget's test and expect merged with another fixture set (test/playwright/compose.test.ts).
export default defineConfig<object, PageBudgetWorkerFixtures>({
  testDir: '.',
  testMatch: '*.spec.ts',
  reporter: [[pageBudgetReporter, { outputFile: process.env.PAGE_BUDGET_REPORT }]],
  use: { pageBudgetConfig: { target: { kind: 'replay', dir: CAPTURE, step: 'before' }, cacheDir: process.env.PAGE_BUDGET_TEST_CACHE } },
})
