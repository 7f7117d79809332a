import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { pageBudget } from '../../../src/vitest/plugin.js'
import { PageBudgetReporter } from '../../../src/vitest/reporter.js'
import { CAPTURE } from '../../helpers.js'

// The workload under Vitest, for the report comparison (test/report/same-json.test.ts).
export default defineConfig({
  plugins: [pageBudget({ target: { kind: 'replay', dir: CAPTURE, step: 'before' }, cacheDir: process.env.PAGE_BUDGET_TEST_CACHE })],
  test: {
    root: fileURLToPath(new URL('../../..', import.meta.url)),
    include: ['test/report/workload/*.workload.ts'],
    reporters: ['default', new PageBudgetReporter({ outputFile: process.env.PAGE_BUDGET_REPORT })],
  },
})
