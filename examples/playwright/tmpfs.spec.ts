import { expect, test } from 'page-budget/playwright'

// The seed's example: 256 MiB written to tmpfs lands on the shmem write path.
const shmem = { frames: ['shmem_*'] }

test('256 MiB to tmpfs stays in budget, and rm frees it', async ({ pageOwner }) => {
  await pageOwner.exec('dd if=/dev/zero of=/tmpfs/f bs=1M count=256 status=none')
  await expect(pageOwner).toAllocateAtMost('258 MiB', shmem)
  await expect(pageOwner).toAllocateAtLeast('255 MiB', shmem)
  await pageOwner.exec('rm /tmpfs/f')
  // Within 1 MiB: the slab cache keeps the file's xarray nodes after rm, and the guest writes
  // small files of its own to tmpfs meanwhile.
  await expect(pageOwner).toFreeAll({ ...shmem, tolerance: '1 MiB' })
})

test('a noisy workload, judged on its median run', async ({ pageOwner }) => {
  // One unmeasured warm-up, then three measured runs: each stack's gain is its median.
  await pageOwner.repeat('write', (run) => pageOwner.exec(`dd if=/dev/zero of=/tmpfs/r${run} bs=1M count=16 status=none`), { times: 3, warmup: 1 })
  await expect(pageOwner).toAllocateBetween('16 MiB', '17 MiB', { ...shmem, since: 'write' })
  await pageOwner.exec('rm /tmpfs/r*')
})
