import type { ReplayTarget } from '../../../src/target/replay.js'
import { expect, test } from '../../report/workload/frameworks.js'

// Run by test/frameworks/unawaited.test.ts under each framework: two tests forget `await`.
const shmem = { frames: ['shmem_*', 'vfs_write'] }

test('forgets to await a budget it breaks', async ({ pageOwner }) => {
  ;(pageOwner.session.target as ReplayTarget).step('after')
  void expect(pageOwner).toAllocateAtMost('1 MiB', shmem)
})

test('forgets to await a budget it keeps', async ({ pageOwner }) => {
  ;(pageOwner.session.target as ReplayTarget).step('after')
  void expect(pageOwner).toAllocateAtMost('1 GiB', shmem)
})

test('awaits, after them', async ({ pageOwner }) => {
  ;(pageOwner.session.target as ReplayTarget).step('before')
  await expect(pageOwner).toAllocateAtMost('1 MiB', shmem)
})
