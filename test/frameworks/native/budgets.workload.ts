import type { Measurement } from '../../../src/session/measurement.js'
import type { ReplayTarget } from '../../../src/target/replay.js'
import { describe, expect, test } from '../../report/workload/frameworks.js'

// Run by test/frameworks/native.test.ts under each framework, on the recorded dd of 256 MiB.
const shmem = { frames: ['shmem_*', 'vfs_write'], since: 'begin' }

/** The worker's tests share one replay target: each replays the workload from its start. */
async function ddToTmpfs(pageOwner: Measurement): Promise<void> {
  const replay = pageOwner.session.target as ReplayTarget
  replay.step('before')
  await pageOwner.mark('begin')
  replay.step('after')
}

describe('dd to tmpfs', () => {
  test('keeps two budgets', async ({ pageOwner }) => {
    await ddToTmpfs(pageOwner)
    await expect(pageOwner).toAllocateAtMost('258 MiB', shmem)
    await expect(pageOwner).not.toAllocateAtMost('200 MiB', shmem)
  })

  test('breaks one', async ({ pageOwner }) => {
    await ddToTmpfs(pageOwner)
    await expect(pageOwner).toAllocateAtMost('200 MiB', shmem)
  })
})
