import { test as base, expect as baseExpect, mergeExpects, mergeTests } from '@playwright/test'
import { expect as budgetExpect, test as budgetTest } from '../../../src/playwright/index.js'
import type { Measurement } from '../../../src/session/measurement.js'
import type { ReplayTarget } from '../../../src/target/replay.js'

// Another team's fixture and matcher, merged with page-budget's the way Playwright documents.
const other = base.extend<{ answer: number }>({
  answer: async ({}, use) => use(42),
})
const otherExpect = baseExpect.extend({
  async toBeTheAnswer(received: number) {
    return { pass: received === 42, message: () => `expected 42, got ${received}` }
  },
})
const test = mergeTests(budgetTest, other)
const expect = mergeExpects(budgetExpect, otherExpect)

test('both fixtures and both sets of matchers', async ({ pageOwner, answer }) => {
  await expect(answer).toBeTheAnswer()
  ;(pageOwner.session.target as ReplayTarget).step('after')
  await expect(pageOwner).toAllocateAtMost('258 MiB', { frames: ['shmem_*', 'vfs_write'] })
  await expect(pageOwner).not.toAllocateAtMost('200 MiB', { frames: ['shmem_*', 'vfs_write'] })
})

/** Never run: the type checker holds the matchers to their one declaration. */
export function typed(pageOwner: Measurement): void {
  // @ts-expect-error a budget is a string, a number or { pages } / { bytes }
  void expect(pageOwner).toAllocateAtMost(true)
  // @ts-expect-error no such option
  void expect(pageOwner).toFreeAll({ framez: ['x'] })
  void expect(pageOwner).toStayWithinBaseline({ tolerance: '5%', name: 'write' })
}
