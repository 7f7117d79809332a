import { expect } from 'vitest'
import { test } from '../../../src/vitest/index.js'

/**
 * A test that writes `mib` MiB to tmpfs and expects exactly its own pages. Two files call it
 * with different sizes; Vitest runs them in separate workers at the same time against the one
 * VM. Each workload sleeps inside its measured section, so without the cross-worker lock the
 * sections would overlap and each delta would hold the other's pages.
 */
export function ownPagesTest(name: string, mib: number): void {
  test(`${name} sees only its own ${mib} MiB`, async ({ pageOwner }) => {
    console.log(`${name}: worker pid ${process.pid}, measured section from ${new Date(pageOwner.start.takenAt).toISOString()}`)
    await pageOwner.exec(`dd if=/dev/zero of=/tmpfs/${name} bs=1M count=${mib} status=none; sleep 2`)
    await expect(pageOwner).toAllocateBetween(`${mib} MiB`, `${mib} MiB`, { frames: ['shmem_*'], tolerance: '1%' })
    await pageOwner.exec(`rm /tmpfs/${name}`)
    // The page-cache pages, not the slab pages of its xarray: slab keeps those cached after rm.
    await expect(pageOwner).toFreeAll({ frames: ['shmem_*', '!kmem_cache_*'] })
  })
}
