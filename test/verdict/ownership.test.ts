import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import '../../src/vitest/expect.js'
import { UnsupportedKernelError, UsageError } from '../../src/errors.js'
import type { SessionOptions } from '../../src/session/options.js'
import { Session } from '../../src/session/session.js'
import { ReplayTarget } from '../../src/target/replay.js'
import { recordsOf } from '../../src/verdict/section.js'
import { captureSession } from '../session/replay-session.js'
import { failure, stackEntry, tempDir } from '../helpers.js'

// The seed's "after" slide, recorded from the kernel with page-budget's swap patches
// (scripts/capture.mjs qemu-swap-page-owner): dd wrote 256 MiB to /tmpfs; proactive reclaim
// pushed it to zram (`swapped`); `head` read its first half back (`after`), the rest still in swap.
const PATCHED = fileURLToPath(new URL('../fixtures/linux-7.2.13-qemu-swap-page-owner', import.meta.url))
// The same kernel booted page_owner=on alone (qemu-swap-page-owner-off): cat read it all back.
const OFF = fileURLToPath(new URL('../fixtures/linux-7.2.13-qemu-swap-page-owner-off', import.meta.url))
const ddWrite = { frames: ['shmem_*', 'vfs_write'] }
/** The file's own pages: dd's write path, without the slab pages of its xarray (never swapped). */
const fileData = { frames: ['shmem_*', 'vfs_write', '!kmem_cache_*'] }
const FILE_PAGES = 65536
/** The file's pages still in swap at `after`: swap_page_owner's dd records on the write path. */
const IN_SWAP_AFTER = 32768

/** Start at `before`, mark `written` with owners and pages in swap, then move to `to`. */
async function swapScenario(to: 'after' | 'swapped', dir = PATCHED, options: SessionOptions = {}) {
  const replay = new ReplayTarget({ dir, step: 'before' })
  const session = await Session.open(replay, { cacheDir: tempDir(), ...options })
  const pageOwner = await session.begin()
  replay.step('written')
  await pageOwner.mark('written', { owners: true, swap: true })
  replay.step(to)
  return { session, pageOwner }
}

describe('toRemainOwnedBy a process (per-page files)', () => {
  it('passes when the pages stay dd\'s through swap-out and swap-in (the swap patches)', async () => {
    const { pageOwner } = await swapScenario('after')
    await expect(pageOwner).toRemainOwnedBy({ comm: 'dd' }, { since: 'written' })
    const line = Number(new Error().stack!.split('\n')[1]!.match(/:(\d+):\d+\)?$/)![1]) - 1
    // A record like every matcher's: typed fields, and the line and column the test wrote it at.
    expect(recordsOf(pageOwner)).toEqual([
      expect.objectContaining({
        matcher: 'toRemainOwnedBy',
        args: "{ comm: 'dd' }, { since: 'written' }",
        negated: false,
        selector: 'dd',
        held: true,
        location: { file: 'test/verdict/ownership.test.ts', line, column: 29 },
      }),
    ])
    expect(await failure(expect(pageOwner).not.toRemainOwnedBy({ comm: 'dd' }, { since: 'written' }))).toMatchInlineSnapshot(`
      "expect(pageOwner).not.toRemainOwnedBy({ comm: 'dd' }, { since: 'written' })

      Owner:    dd (process, from the per-page files)
      Expected: not the 65682 pages (256.57 MiB) dd held at 'written' still its own
      Received: 65682 pages (256.57 MiB) still its own (32914 resident, 32768 in swap)

      Now held by (gained since 'written'):
        sh (pid 46): +429 pages (1.68 MiB)
            …
            zs_malloc
            zram_submit_bio
            __submit_bio
            …
            shrink_lruvec
            shrink_node
        sh (pid 46): +328 pages (1.28 MiB)
            …
            slab_alloc_node
            kmem_cache_alloc_noprof
            __swap_page_owner_prepare
            …
            do_try_to_free_pages
            try_to_free_mem_cgroup_pages
        sh (pid 46): +162 pages (648 KiB)
            …
            slab_alloc_node
            __kmalloc_flags_noprof
            alloc_slab_obj_exts
            …
            swap_writeout
            shmem_writeout
        sh (pid 46): +88 pages (352 KiB)
            …
            slab_alloc_node
            kmem_cache_alloc_noprof
            swap_cluster_alloc_table
            …
            shrink_lruvec
            shrink_node
        sh (pid 46): +80 pages (320 KiB)
            …
            slab_alloc_node
            kmem_cache_alloc_lru_noprof
            xas_alloc
            …
            swap_writeout
            shmem_writeout

      Compared: 'written' -> 'expect' (… s apart, boot 5c82528d)
                read 91.9 MiB of page_owner and swap_page_owner (… s)"
    `)
  })
  it('fails when cat took the pages it read back, naming cat and its swap-in stack', async () => {
    const { pageOwner } = await swapScenario('after', OFF)
    await expect(pageOwner).not.toRemainOwnedBy({ comm: 'dd' }, { since: 'written' })
    const message = await failure(expect(pageOwner).toRemainOwnedBy({ comm: 'dd' }, { since: 'written' }))
    expect(message).toMatch(/^ {2}cat \(pid \d+\): \+\d+ pages/m)
    expect(message).toContain('shmem_swapin_folio')
    expect(message).toMatchInlineSnapshot(`
      "expect(pageOwner).toRemainOwnedBy({ comm: 'dd' }, { since: 'written' })

      Owner:    dd (process, from the per-page files)
      Expected: the 65686 pages (256.59 MiB) dd held at 'written' still its own
      Received: 150 pages (600 KiB) still its own (150 resident, 0 in swap); 65536 pages (256 MiB) moved away

      Now held by (gained since 'written'):
        cat (pid 46): +65536 pages (256 MiB)
            …
            swap_cache_alloc_folio
            swapin_sync
            shmem_swapin_folio
            …
            do_splice_direct
            do_sendfile
            …
        sh (pid 46): +115 pages (460 KiB)
            …
            zs_malloc
            zram_submit_bio
            __submit_bio
            …
            shrink_lruvec
            shrink_node
        page-budget-age (pid 1): +18 pages (72 KiB)
            …
            swap_cache_alloc_folio
            swapin_sync
            do_swap_page
            …
            exc_page_fault
            asm_exc_page_fault
        sh (pid 46): +14 pages (56 KiB)
            …
            zs_malloc
            zram_submit_bio
            __submit_bio
            …
            shrink_node
            do_try_to_free_pages
        page-budget-age (pid 1): +6 pages (24 KiB)
            …
            swap_cache_alloc_folio
            swapin_sync
            do_swap_page
            …
            exc_page_fault
            asm_exc_page_fault

      This kernel does not track pages in swap: a page swapped out and read back in belongs to whoever read it.

      Compared: 'written' -> 'expect' (… s apart, boot 48cfb1e5)
                read 98.08 MiB of page_owner (… s)"
    `)
  })
  it('allows a tolerance', async () => {
    // cat took 65536 of the 65686 pages dd held: 99.77% moved away.
    const { pageOwner } = await swapScenario('after', OFF)
    await expect(pageOwner).toRemainOwnedBy({ comm: 'dd' }, { since: 'written', tolerance: '99.9%' })
    await expect(pageOwner).not.toRemainOwnedBy({ comm: 'dd' }, { since: 'written', tolerance: '99%' })
  })
  it('needs owners recorded at the mark', async () => {
    const replay = new ReplayTarget({ dir: PATCHED, step: 'written' })
    const pageOwner = await (await Session.open(replay, { cacheDir: tempDir() })).begin()
    await pageOwner.mark('plain')
    await expect(expect(pageOwner).toRemainOwnedBy({ comm: 'dd' }, { since: 'plain' })).rejects.toThrowErrorMatchingInlineSnapshot(`
      [UsageError: mark "plain" did not record owners
        hint: process owners need the per-page files read at the mark: await pageOwner.mark("plain", { owners: true })]
    `)
  })
})

describe('the stock kernel, recorded in QEMU (scripts/capture.mjs)', () => {
  // dd wrote 256 MiB; head filled /tmpfs-noswap, pushing /tmpfs to zram; cat read it back.
  const STOCK = fileURLToPath(new URL('../fixtures/linux-7.2.13-qemu-swap', import.meta.url))

  it('loses dd\'s ownership of the pages cat read back, by process and by stack', async () => {
    const { pageOwner } = await swapScenario('swapped', STOCK)
    await expect(pageOwner).not.toRemainOwnedBy({ comm: 'dd' }, { since: 'written' })
    const byProcess = await failure(expect(pageOwner).toRemainOwnedBy({ comm: 'dd' }, { since: 'written' }))
    expect(byProcess).toMatch(/Received: 48728 pages \(190\.34 MiB\) still its own \(48728 resident, 0 in swap\); 16952 pages \(66\.22 MiB\) moved away/)
    expect(byProcess).toMatch(/Now held by \(gained since 'written'\):\n  cat \(pid \d+\): \+\d+ pages/)
    expect(byProcess).toContain('This kernel does not track pages in swap')
    const byStack = await failure(expect(pageOwner).toRemainOwnedBy(ddWrite, { since: 'written' }))
    expect(stackEntry(byStack, /^  handle \d+: \+\d+ pages/).join(' ')).toMatch(/swapin/)
  })
})

describe('toRemainOwnedBy stacks (show_handles)', () => {
  it('passes with the swap patches: pages in swap count for their stack where the mark read swap_page_owner', async () => {
    const { pageOwner } = await swapScenario('after')
    await expect(pageOwner).toRemainOwnedBy(fileData, { since: 'written' })
    expect(await failure(expect(pageOwner).not.toRemainOwnedBy(fileData, { since: 'written' }))).toContain('read show_handles and swap_page_owner')
    // A mark that did not read swap_page_owner counts pages in memory only: those in swap look gone.
    const replay = new ReplayTarget({ dir: PATCHED, step: 'written' })
    const plain = await (await Session.open(replay, { cacheDir: tempDir() })).begin()
    await plain.mark('plain')
    replay.step('after')
    await expect(plain).not.toRemainOwnedBy(fileData, { since: 'plain' })
  })
  it('fails when the swap-in stack took the pages', async () => {
    const { pageOwner } = await swapScenario('after', OFF)
    await expect(pageOwner).not.toRemainOwnedBy(ddWrite, { since: 'written' })
    const message = await failure(expect(pageOwner).toRemainOwnedBy(ddWrite, { since: 'written' }))
    expect(stackEntry(message, /^  handle \d+: \+\d+ pages \([\d.]+ MiB\)$/)).toContain('shmem_swapin_folio')
  })
})

describe('include: which pages a budget counts', () => {
  it('counts dd\'s pages in swap, in memory, and both, never twice', async () => {
    const { pageOwner } = await swapScenario('after', PATCHED, { countSwap: true })
    const [swap, resident, all] = await Promise.all((['swap', 'resident', 'all'] as const).map(async (include) => (await pageOwner.delta({ ...fileData, include })).pages))
    expect({ swap, resident, all }).toEqual({ swap: IN_SWAP_AFTER, resident: FILE_PAGES - IN_SWAP_AFTER, all: FILE_PAGES })
    await expect(pageOwner).toAllocateBetween({ pages: IN_SWAP_AFTER }, { pages: IN_SWAP_AFTER }, { ...fileData, include: 'swap' })
    await expect(pageOwner).not.toAllocateAtLeast('256 MiB', { ...fileData, include: 'resident' })
    await expect(pageOwner).toAllocateBetween('256 MiB', '256 MiB', { ...fileData, include: 'all' })
  })
  it("says so when the kernel does not track swap, instead of pretending", async () => {
    const { session, replay } = await captureSession()
    const pageOwner = await session.begin()
    replay.step('after')
    await expect(expect(pageOwner).toAllocateAtMost('1 GiB', { include: 'swap' })).rejects.toThrow(UnsupportedKernelError)
    await expect(expect(pageOwner).toAllocateAtMost('1 GiB', { include: 'all' })).rejects.toThrow(/does not track them/)
    await expect(pageOwner).toAllocateAtMost('257 MiB', { ...ddWrite, include: 'resident' })
    await pageOwner.mark('m')
    await expect(expect(pageOwner).toRemainOwnedBy(ddWrite, { since: 'm', requireSwapTracking: true })).rejects.toThrow(UnsupportedKernelError)
    await expect(expect(pageOwner).toAllocateAtMost('1 GiB', { include: 'bogus' as 'all' })).rejects.toThrow(UsageError)
  })
})

describe('owner misuse throws', () => {
  it('rejects an owner that is neither a process nor stacks, and a missing since', async () => {
    const { pageOwner } = await swapScenario('after')
    await expect(expect(pageOwner).toRemainOwnedBy({ comm: 'dd', frames: ['x'] } as never, { since: 'written' })).rejects.toThrow(UsageError)
    await expect(expect(pageOwner).toRemainOwnedBy({} as never, { since: 'written' })).rejects.toThrow(UsageError)
    await expect(expect(pageOwner).toRemainOwnedBy({ comm: 'dd' }, {} as never)).rejects.toThrow(/needs the mark/)
  })
})
