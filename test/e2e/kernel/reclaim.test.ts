import { expect } from 'vitest'
import { ReclaimError } from '../../../src/errors.js'
import { test } from '../../../src/vitest/index.js'
import { rejection } from '../../helpers.js'

// The kernel project's VM has no swap: reclaim says so instead of only dropping page cache.
test('reclaim without swap is a named error', async ({ pageOwner }) => {
  const error = await rejection(pageOwner.reclaim('64 MiB'))
  expect(error).toBeInstanceOf(ReclaimError)
  expect(error).toMatchObject({ reason: 'no-swap', code: 'E_RECLAIM' })
  expect(error.message).toMatch(/has no swap: reclaim would only drop page cache\n  hint: add swap/)
})
