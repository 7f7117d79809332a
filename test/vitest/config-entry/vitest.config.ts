import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
// The entry users reach for first: the test API's, not page-budget/vitest/plugin. The package
// name resolves to the build (dist/), as it does for users.
import { pageBudget } from 'page-budget/vitest'
import { CAPTURE } from '../../helpers.js'

export default defineConfig({
  plugins: [pageBudget({ target: { kind: 'replay', dir: CAPTURE, step: 'before' }, cacheDir: process.env.PAGE_BUDGET_TEST_CACHE })],
  test: { root: fileURLToPath(new URL('../../..', import.meta.url)), include: ['test/vitest/config-entry/*.workload.ts'] },
})
