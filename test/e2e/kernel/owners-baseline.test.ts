import { describe, expect } from 'vitest'
import { test } from '../../../src/vitest/index.js'
import { plain } from '../../helpers.js'

// Process owners (the per-page file, on every generation) and baselines committed next to this
// file (__page_budget__/), on each kernel the suite runs on. 16 MiB of tmpfs is 4096 page-cache
// pages on every one of them: tmpfs allocates order-0 folios unless mounted with huge=.
const pageCache = { frames: ['shmem_*', '!kmem_cache_*'] }
const dd = { comm: 'dd' }

describe.sequential('owners and baselines', () => {
  test('dd owns the pages it wrote until they are freed', async ({ pageOwner }) => {
    await pageOwner.exec('dd if=/dev/zero of=/tmpfs/owned bs=1M count=16 status=none')
    await pageOwner.mark('written', { owners: true })
    const owners = await pageOwner.owners()
    const ddPages = [...owners.entries.values()].filter((entry) => entry.comm === 'dd').reduce((n, entry) => n + entry.resident, 0)
    expect(ddPages).toBeGreaterThanOrEqual(4096)
    await expect(pageOwner).toRemainOwnedBy(dd, { since: 'written' })

    await pageOwner.exec('rm /tmpfs/owned')
    await expect(pageOwner).not.toRemainOwnedBy(dd, { since: 'written' })
    const failure = await expect(pageOwner).toRemainOwnedBy(dd, { since: 'written' }).then(() => undefined, (e: Error) => plain(e.message))
    // rm freed the page cache: at least its 4096 pages left dd, and the message says what was read.
    expect(failure).toMatch(/; 4\d{3} pages \(16(\.\d+)? MiB\) moved away/)
    expect(failure).toMatch(/read [\d.]+ [KMG]?i?B of page_owner/)
  })

  test('16 MiB of page cache stays within its baseline', async ({ pageOwner }) => {
    await pageOwner.exec('dd if=/dev/zero of=/tmpfs/baseline bs=1M count=16 status=none')
    try {
      await expect(pageOwner).toStayWithinBaseline(pageCache)
    } finally {
      await pageOwner.exec('rm /tmpfs/baseline')
    }
  })

  test('32 MiB of page cache exceeds a 16 MiB baseline', async ({ pageOwner }) => {
    await pageOwner.exec('dd if=/dev/zero of=/tmpfs/baseline bs=1M count=32 status=none')
    try {
      await expect(pageOwner).not.toStayWithinBaseline(pageCache)
      const failure = await expect(pageOwner).toStayWithinBaseline(pageCache).then(() => undefined, (e: Error) => plain(e.message))
      expect(failure).toMatch(/Baseline: 4096 pages \(16 MiB\) recorded on \S+/)
      expect(failure).toMatch(/Now: +8192 pages \(32 MiB\)/)
    } finally {
      await pageOwner.exec('rm /tmpfs/baseline')
    }
  })
})
