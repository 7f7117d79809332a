import { expect } from 'vitest'
import { test } from '../../../src/vitest/index.js'
import { failure, stackEntry } from '../../helpers.js'

const ddWrite = { frames: ['shmem_*', 'vfs_write'] }
const MiB256 = 65536


// The seed's "before" slide on the real stock kernel: page_owner loses the owner of a page
// that is swapped out and read back in. dd writes 256 MiB to /tmpfs; proactive reclaim pushes
// it to zram (no memory pressure, so no OOM killer); cat reads it back.
test('a page swapped out and back in no longer belongs to dd', async ({ pageOwner, pageBudget }) => {
  expect(pageBudget.capabilities.files.swap_page_owner).toBe(false)
  await pageOwner.exec('dd if=/dev/zero of=/tmpfs/file bs=1M count=256 status=none')
  await pageOwner.mark('written', { owners: true })
  const moved = await pageOwner.reclaim('320 MiB')
  // The file is nearly all this guest has to reclaim (the initramfs root and the kernel cannot
  // be), so 320 MiB is more than there is (complete: false); reclaim also drops clean page
  // cache on the way: allow it a tenth of the file.
  expect(moved).toMatchObject({ requested: 81920, complete: false })
  expect(moved.swappedOut).toBeGreaterThan(MiB256 * 0.9)
  expect(moved.inSwap).toBeGreaterThan(MiB256 * 0.9)
  await pageOwner.exec('cat /tmpfs/file > /dev/null')

  // By process: the pages cat read back are cat's now.
  await expect(pageOwner).not.toRemainOwnedBy({ comm: 'dd' }, { since: 'written' })
  const byProcess = await failure(expect(pageOwner).toRemainOwnedBy({ comm: 'dd' }, { since: 'written' }))
  expect(byProcess).toMatch(/Now held by \(gained since 'written'\):\n  cat \(pid \d+\): \+\d+ pages/)
  expect(byProcess).toContain('This kernel does not track pages in swap')

  // By stack: dd's write path lost them to the swap-in path.
  await expect(pageOwner).not.toRemainOwnedBy(ddWrite, { since: 'written' })
  const byStack = await failure(expect(pageOwner).toRemainOwnedBy(ddWrite, { since: 'written' }))
  const newHolder = stackEntry(byStack, /^  handle \d+: \+\d+ pages/)
  expect(newHolder.some((frame) => /swapin|swap_read|do_swap_page/.test(frame)), newHolder.join('\n')).toBe(true)

  // With the stock kernel, pages in swap cannot be counted: said, not pretended.
  await expect(expect(pageOwner).toAllocateAtMost('1 GiB', { ...ddWrite, include: 'swap' })).rejects.toThrow(/does not track them/)
  await expect(expect(pageOwner).toRemainOwnedBy({ comm: 'dd' }, { since: 'written', requireSwapTracking: true })).rejects.toThrow(/requireSwapTracking/)
  await pageOwner.exec('rm /tmpfs/file')
})

test('the cost of an owner check against a frame check', async ({ pageOwner }) => {
  await pageOwner.exec('dd if=/dev/zero of=/tmpfs/cost bs=1M count=64 status=none')
  const started = performance.now()
  await pageOwner.snapshot('frames')
  const frameMs = performance.now() - started
  const owners = await pageOwner.owners('owners')
  expect(owners.bytesRead).toBeGreaterThan(1_000_000)
  expect([...owners.entries.values()].some((e) => e.comm === 'dd')).toBe(true)
  console.log(`owner check: ${(owners.bytesRead / 1e6).toFixed(1)} MB read in ${owners.ms} ms; frame check (show_handles): ${frameMs.toFixed(0)} ms; ratio ${(owners.ms / frameMs).toFixed(0)}x`)
  await pageOwner.exec('rm /tmpfs/cost')
})
