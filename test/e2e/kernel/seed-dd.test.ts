import { describe, expect } from 'vitest'
import { computeDelta } from '../../../src/select/delta.js'
import { diffCounts } from '../../../src/format/counts.js'
import type { SamplePath } from '../../../src/format/detect.js'
import { SAMPLE_PATH_NOTES } from '../../../src/target/probe.js'
import { test } from '../../../src/vitest/index.js'
import { plain, stackEntry } from '../../helpers.js'

// The seed's example on the real test kernel: 256 MiB written to tmpfs, then removed.
const shmem = { frames: ['shmem_*'] }

/** show_handles came with 6.19, show_stacks with 6.9; before, only the per-page file. */
function expectedPath(release: string): SamplePath {
  const [major = 0, minor = 0] = release.split('.').map(Number)
  const at = (a: number, b: number) => major > a || (major === a && minor >= b)
  return at(6, 19) ? 'show_handles' : at(6, 9) ? 'show_stacks' : 'page_owner'
}

describe.sequential('the seed example in the real kernel', () => {
  test('dd of 256 MiB to tmpfs is within 255..258 MiB of shmem pages, and is freed by rm', async ({ pageOwner, pageBudget }) => {
    // The path the kernel's generation implies (the kernel and kernel-6.12 projects), named in
    // every failure message.
    const path = expectedPath(pageBudget.capabilities.kernel)
    expect(pageBudget.capabilities.path).toBe(path)
    await pageOwner.exec('dd if=/dev/zero of=/tmpfs/file bs=1M count=256 status=none')
    await expect(pageOwner).toAllocateAtLeast('255 MiB', shmem)
    await expect(pageOwner).toAllocateAtMost('258 MiB', shmem)

    const failure = await expect(pageOwner).toAllocateAtMost('200 MiB', shmem).then(() => undefined, (e: Error) => plain(e.message))
    expect(failure).toMatch(/Expected: at most 51200 pages \(200 MiB\)/)
    expect(failure).toMatch(/Received: 6[56]\d{3} pages \(25\d(\.\d+)? MiB\), \d+ pages \([\d.]+ MiB\) over/)
    // Names the shmem write path: the stack that gained the pages, down to the write syscall.
    const stack = stackEntry(failure!, /^  handle \d+: \+6[56]\d{3} pages/)
    expect(stack).toContain('shmem_get_folio_gfp.constprop.0')
    expect(stack).toContain('shmem_write_begin')
    expect(stack).toContain('vfs_write')
    expect(failure).toContain(`read through ${SAMPLE_PATH_NOTES[path]}`)

    await pageOwner.exec('rm /tmpfs/file')
    // The page-cache pages are freed; the slab pages of its xarray may stay cached by slab.
    const pageCache = { frames: ['shmem_*', '!kmem_cache_*'] }
    await expect(pageOwner).toFreeAll(pageCache)
    await expect(pageOwner).not.toAllocateAtLeast('1 MiB', shmem)
  })

  test('a second test resolves no stack it already knows', async ({ pageOwner, pageBudget }) => {
    const stacks = pageBudget.stacks
    // The write path of the test before is known to this worker's cache.
    await pageOwner.exec('dd if=/dev/zero of=/tmpfs/again bs=1M count=16 status=none')
    const after = await pageOwner.snapshot('after')
    const changed = diffCounts(pageOwner.start.counts, after.counts).map((row) => row.key)
    const unknown = changed.filter((key) => !stacks.has(key))
    const { kernelReads, hits, lookups } = stacks.stats

    const delta = await computeDelta(pageOwner.start, after, stacks, pageBudget.selector(shmem), pageBudget.pageSize)
    expect(delta.pages).toBeGreaterThanOrEqual(4096)
    const ddStack = delta.rows[0]!
    expect(ddStack.frames.some((f) => f.fn === 'vfs_write')).toBe(true)
    // Exactly the changed stacks were looked up; every one already known was a cache hit, and
    // show_stacks_handles was read again only if a stack nobody had seen appeared.
    expect(stacks.stats.lookups - lookups).toBe(changed.length)
    expect(stacks.stats.hits - hits).toBe(changed.length - unknown.length)
    expect(stacks.stats.kernelReads - kernelReads).toBe(unknown.length > 0 ? 1 : 0)
    expect(unknown).not.toContain(ddStack.key)
    await pageOwner.exec('rm /tmpfs/again')
  })
})
