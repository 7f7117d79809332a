import { expect, test } from 'page-budget/vitest'

// The seed's example: 256 MiB written to tmpfs lands on the shmem write path.
const shmemWrite = { frames: ['shmem_*', 'vfs_write'] }
// The file's own pages on that path, without the slab pages of the page cache's xarray:
// rm frees the first, while slab keeps the second cached for the next file.
const filePages = { frames: ['shmem_*', 'vfs_write', '!kmem_cache_*'] }

test('256 MiB to tmpfs stays in budget', async ({ pageOwner }) => {
  await pageOwner.exec('dd if=/dev/zero of=/tmpfs/example bs=1M count=256 status=none')
  await expect(pageOwner).toAllocateAtMost('258 MiB', shmemWrite)
  await expect(pageOwner).toAllocateAtLeast('255 MiB', shmemWrite)
  await pageOwner.exec('rm /tmpfs/example')
  await expect(pageOwner).toFreeAll(filePages)
})

test('a 64 MiB file costs 64 MiB of shmem pages, give or take 1%', async ({ pageOwner }) => {
  await pageOwner.exec('dd if=/dev/zero of=/tmpfs/small bs=1M count=64 status=none')
  await pageOwner.mark('written')
  await expect(pageOwner).toAllocateBetween('64 MiB', '64 MiB', { ...shmemWrite, tolerance: '1%' })
  await pageOwner.exec('rm /tmpfs/small')
  await expect(pageOwner).toFreeAll({ ...filePages, since: 'written' })
  await expect(pageOwner).toFreeAll(filePages)
})
