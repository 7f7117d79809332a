import { defineConfig } from '@playwright/test'
import type { PageBudgetWorkerFixtures } from '../../../src/playwright/index.js'
import { CAPTURE } from '../../helpers.js'

export default defineConfig<object, PageBudgetWorkerFixtures>({
  // The report comparison's workload, reused: two tests, one budget broken.
  testDir: '../../report/workload',
  testMatch: '*.workload.ts',
  workers: 1,
  reporter: [['list'], ['./steps-reporter.ts', { outputFile: process.env.PAGE_BUDGET_STEPS }]],
  use: { pageBudgetConfig: { target: { kind: 'replay', dir: CAPTURE, step: 'before' }, cacheDir: process.env.PAGE_BUDGET_TEST_CACHE } },
})
