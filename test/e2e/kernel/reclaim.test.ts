import { expect } from 'vitest'
import { ReclaimError } from '../../../src/errors.js'
import { test } from '../../../src/vitest/index.js'

// The kernel project's VM has no swap: reclaim says so instead of only dropping page cache.
test('reclaim without swap is a named error', async ({ pageOwner }) => {
  const error = await pageOwner.reclaim('64 MiB').then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(ReclaimError)
  expect(error).toMatchObject({ reason: 'no-swap', code: 'E_RECLAIM' })
  expect((error as Error).message).toMatch(/has no swap: reclaim would only drop page cache\n  hint: add swap/)
})
