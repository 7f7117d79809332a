import type { Measurement } from '../../../src/session/measurement.js'
import type { ReplayTarget } from '../../../src/target/replay.js'
import { describe, expect, test } from './frameworks.js'

// The recorded dd of 256 MiB to tmpfs, replayed: `before` -> `after` is the workload.
const shmem = { frames: ['shmem_*', 'vfs_write'] }

async function ddToTmpfs(pageOwner: Measurement): Promise<void> {
  const replay = pageOwner.session.target as ReplayTarget
  replay.step('before')
  await pageOwner.mark('begin')
  replay.step('after')
}

describe('dd to tmpfs', () => {
  test('stays in budget', async ({ pageOwner }) => {
    await ddToTmpfs(pageOwner)
    await expect(pageOwner).toAllocateAtMost('258 MiB', { ...shmem, since: 'begin' })
    await expect(pageOwner).toAllocateBetween('255 MiB', '257 MiB', { ...shmem, since: 'begin' })
    await expect(pageOwner).not.toAllocateAtLeast('1 GiB', { since: 'begin' })
  })

  test('breaks a budget too small', async ({ pageOwner }) => {
    await ddToTmpfs(pageOwner)
    await expect(pageOwner).toAllocateAtMost('200 MiB', { ...shmem, since: 'begin' })
  })
})

test('asserts nothing', async () => {})
