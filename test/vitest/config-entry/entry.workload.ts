import { expect, test } from 'page-budget/vitest'

// Run by test/vitest/config-entry.test.ts, under a config that took the plugin from page-budget/vitest.
test('runs with the plugin from page-budget/vitest', async ({ pageOwner }) => {
  await expect(pageOwner).toAllocateAtMost('1 MiB')
})
