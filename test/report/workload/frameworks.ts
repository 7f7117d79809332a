import type { Measurement } from '../../../src/session/measurement.js'
import type { Session } from '../../../src/session/session.js'
import type { PageBudgetMatchers } from '../../../src/verdict/matchers.js'

/**
 * The one workload file runs under both frameworks (its path is part of the report), so it
 * takes `test`, `describe` and `expect` from whichever PAGE_BUDGET_FRAMEWORK names, through the
 * surface the two share.
 */
interface Framework {
  test(name: string, body: (fixtures: { pageOwner: Measurement; pageBudget: Session }) => Promise<void>): void
  describe(name: string, body: () => void): void
  expect(received: unknown): PageBudgetMatchers<Promise<void>> & { not: PageBudgetMatchers<Promise<void>> }
}

async function load(): Promise<Framework> {
  if (process.env.PAGE_BUDGET_FRAMEWORK === 'playwright') {
    const { test, expect } = await import('../../../src/playwright/index.js')
    return { test, describe: test.describe, expect } as unknown as Framework
  }
  const { test, expect } = await import('../../../src/vitest/index.js')
  const { describe } = await import('vitest')
  return { test, describe, expect } as unknown as Framework
}

export const { test, describe, expect } = await load()
