import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { pageBudget } from '../../../src/vitest/plugin.js'
import { CAPTURE } from '../../helpers.js'

export default defineConfig({
  plugins: [pageBudget({ target: { kind: 'replay', dir: CAPTURE, step: 'before' }, cacheDir: process.env.PAGE_BUDGET_TEST_CACHE })],
  test: {
    root: fileURLToPath(new URL('../../..', import.meta.url)),
    // The report comparison's workload (test/report/workload), reused: two tests, one budget broken.
    include: ['test/report/workload/*.workload.ts'],
  },
})
