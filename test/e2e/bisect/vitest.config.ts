import { defineConfig } from 'vitest/config'
import { pageBudget } from '../../../src/vitest/plugin.js'
import { PageBudgetReporter } from '../../../src/vitest/reporter.js'

/**
 * One suite, two kernels: the same test file in a `base` and a `candidate` project, each
 * booting its own kernel in its own VM, each writing its own report (`[project]` in the
 * reporter's outputFile), for `page-budget compare`. The kernels and the report directory come
 * from the environment (the bisect e2e test sets them).
 */
const required = (name: string) => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set: test/e2e/bisect/bisect.test.ts sets it`)
  return value
}
// A loaded 2-core machine can be slow to boot TCG guests; the boot waits for the agent's HELLO that long.
const target = (path: string) => ({ kind: 'qemu' as const, kernel: path, memory: 512, bootTimeout: 240_000 })

export default defineConfig({
  test: {
    reporters: ['default', new PageBudgetReporter({ outputFile: `${required('PAGE_BUDGET_REPORTS')}/page-budget-[project].json` })],
    projects: [
      { plugins: [pageBudget({ target: target(required('PAGE_BUDGET_BASE')) })], test: { name: 'base', include: ['test/e2e/bisect/*.workload.ts'], hookTimeout: 300_000 } },
      { plugins: [pageBudget({ target: target(required('PAGE_BUDGET_CANDIDATE')) })], test: { name: 'candidate', include: ['test/e2e/bisect/*.workload.ts'], hookTimeout: 300_000 } },
    ],
  },
})
