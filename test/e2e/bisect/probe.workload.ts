import { expect, test } from '../../../src/vitest/index.js'
import { BUDGET, PROBE } from './probe.js'

test('a write to page_budget_probe holds at most 300 pages', async ({ pageOwner }) => {
  await pageOwner.exec(PROBE)
  await expect(pageOwner).toAllocateAtMost(BUDGET.atMost, { frames: [...BUDGET.frames] })
})
