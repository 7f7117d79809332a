import { defineConfig } from '@playwright/test'
import type { PageBudgetWorkerFixtures } from '../../../src/playwright/index.js'
import { CAPTURE } from '../../helpers.js'

// The baselines spec, copied to a fresh directory per run (PAGE_BUDGET_SPEC_DIR) so that its
// __page_budget__ file is that run's own (test/playwright/update-modes.test.ts).
export default defineConfig<object, PageBudgetWorkerFixtures>({
  testDir: process.env.PAGE_BUDGET_SPEC_DIR,
  testMatch: '*.spec.ts',
  workers: 1,
  reporter: [['json']],
  use: { pageBudgetConfig: { target: { kind: 'replay', dir: CAPTURE, step: 'before' }, cacheDir: process.env.PAGE_BUDGET_TEST_CACHE } },
})
