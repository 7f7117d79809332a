import { expect, test } from 'page-budget/vitest'

// A file's page cache on ext4, allocated on its write path; the slab pages of the page cache's
// xarray are left out (slab keeps them cached after rm).
const ext4Writes = { frames: ['ext4_*write_begin', 'vfs_write', '!kmem_cache_*'] }

test('64 MiB written to ext4 costs 64 MiB of page cache, and rm frees it', async ({ pageOwner }) => {
  await pageOwner.exec('dd if=/dev/zero of=/mnt/ext4/file bs=1M count=64 status=none')
  await expect(pageOwner).toAllocateBetween('64 MiB', '64 MiB', { ...ext4Writes, tolerance: '1%' })
  await pageOwner.exec('rm /mnt/ext4/file')
  await expect(pageOwner).toFreeAll(ext4Writes)
})
