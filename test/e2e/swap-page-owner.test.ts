import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import '../../src/vitest/expect.js'
import { readPageOwner } from '../../src/format/page-owner.js'
import { defaultCacheDir } from '../../src/io/cache-dir.js'
import { findBuiltKernel } from '../../src/kernel-build/cache.js'
import type { Measurement } from '../../src/session/measurement.js'
import { Session } from '../../src/session/session.js'
import { startVm, type QemuVm } from '../../src/target/qemu/vm.js'
import { failure, tempDir } from '../helpers.js'
import { measured } from './measured.js'

/**
 * page-budget's own swap_page_owner patches (recipe/swap-page-owner/), live: the seed's "after"
 * slide, pages counted while they sit in swap, and the kernel side's soundness over many
 * cycles. One built kernel serves both directions, by boot option: `page_owner=on,swap` keeps
 * owners through swap, `page_owner=on` alone behaves as the stock kernel.
 */
const kernel = findBuiltKernel(defaultCacheDir(), { swapPageOwner: true })
const hasQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0

/** The file's own pages: dd's write path, without the slab pages of its xarray (never swapped). */
const fileData = { frames: ['shmem_*', 'vfs_write', '!kmem_cache_*'] }
const FILE_PAGES = 65536
// 640 MiB of RAM holds the 256 MiB file twice over, so reclaim pushes it to zram and cat reads
// it back without the guest ever running short (the swap project's reasoning).
const GUEST = { kind: 'qemu', kernel, memory: 640, swap: '512M' } as const

/** dd writes 256 MiB to tmpfs; the mark records owners and pages in swap as they are then. */
async function ddFile(pageOwner: Measurement): Promise<void> {
  await pageOwner.exec('dd if=/dev/zero of=/tmpfs/file bs=1M count=256 status=none')
  await pageOwner.mark('written', { owners: true, swap: true })
}

/** Pushes the file to swap: nearly all of it (reclaim also drops some clean page cache on the way); returns the pages now in swap, the file's and any other. */
async function swapOut(pageOwner: Measurement, pages: number): Promise<number> {
  const moved = await pageOwner.reclaim(`${Math.ceil((pages * 1.25) / 256)} MiB`)
  expect(moved.inSwap).toBeGreaterThan(pages * 0.9)
  return moved.inSwap
}

/** The kept owners (first line of swap_page_owner_count) and the swap-outs that could not keep one. */
async function keptEntries(pageOwner: Measurement): Promise<{ kept: number; failed: number }> {
  const { stdout } = await pageOwner.exec('cat /sys/kernel/debug/swap_page_owner_count')
  const match = /^(\d+)\nfailed (\d+)\n$/.exec(stdout)
  if (!match) throw new Error(`swap_page_owner_count: unexpected ${JSON.stringify(stdout)}`)
  return { kept: Number(match[1]), failed: Number(match[2]) }
}

/** Every fault report and warning the kernel can print, lockdep's and KASAN's included. */
const KERNEL_COMPLAINT = /WARNING:|BUG:|Oops|kernel BUG|refcount_t:|possible recursive locking|circular locking|KASAN|UBSAN/

// Under CI a missing kernel or QEMU fails this file instead of skipping it.
describe.skipIf(!(kernel && hasQemu) && !process.env.CI)("page-budget's swap_page_owner patches, live", () => {
  describe('booted page_owner=on,swap', () => {
    let vm: QemuVm
    let session: Session
    beforeAll(async () => {
      vm = await startVm({ ...GUEST, swapPageOwner: true })
      session = await Session.open(vm.target, { cacheDir: tempDir() })
    })
    afterAll(async () => {
      await vm?.stop()
      // The shutdown path with owners still kept (the first test leaves none, the soundness
      // test swaps off) and everything before it: no report of any kind on the console.
      if (vm) expect(readFileSync(vm.consoleLog, 'utf8')).not.toMatch(KERNEL_COMPLAINT)
    })

    it('has swap_page_owner', () => {
      expect(session.capabilities.files.swap_page_owner).toBe(true)
    })

    it("the seed's after slide: dd's pages stay dd's through swap-out and swap-in, and count while in swap", { timeout: 600_000 }, () => measured(session, async (pageOwner) => {
      await ddFile(pageOwner)
      try {
        const inSwap = await swapOut(pageOwner, FILE_PAGES)

        // In swap: the file's pages left memory (show_handles) for swap_page_owner, on dd's own
        // stack, and the two added up are what dd wrote: no page is lost, none counted twice.
        await expect(pageOwner).toAllocateAtLeast(`${FILE_PAGES * 0.9 * 4} KiB`, { ...fileData, include: 'swap', since: 'written' })
        await expect(pageOwner).not.toAllocateAtLeast('257 MiB', { ...fileData, include: 'swap', since: 'written' })
        const [swap, resident, all] = await Promise.all((['swap', 'resident', 'all'] as const).map((include) => pageOwner.delta({ ...fileData, include, since: 'written' })))
        expect(swap!.pages).toBeGreaterThan(FILE_PAGES * 0.9)
        expect(resident!.pages).toBe(-swap!.pages)
        expect(all!.pages).toBe(0)
        const data = session.selector(fileData)
        const file = [...(await pageOwner.owners('in swap')).entries.values()].filter((entry) => entry.comm === 'dd' && data.matches(entry.stack, entry.frames))
        expect(file.reduce((sum, entry) => sum + entry.resident + entry.swap, 0)).toBe(FILE_PAGES)
        expect(file.reduce((sum, entry) => sum + entry.swap, 0)).toBe(swap!.pages)
        // One kept owner per page in swap: the file's, and those of whatever else reclaim pushed out.
        const kept = await keptEntries(pageOwner)
        expect(kept.failed).toBe(0)
        expect(kept.kept).toBeGreaterThanOrEqual(swap!.pages)
        expect(kept.kept).toBeLessThanOrEqual(inSwap)

        // Read back by cat: still dd's, by process and by stack, marked (swapped) in page_owner.
        await pageOwner.exec('cat /tmpfs/file > /dev/null')
        await expect(pageOwner).toRemainOwnedBy({ comm: 'dd' }, { since: 'written', requireSwapTracking: true })
        await expect(pageOwner).toRemainOwnedBy(fileData, { since: 'written' })
        expect(await failure(expect(pageOwner).not.toRemainOwnedBy({ comm: 'dd' }, { since: 'written' }))).toMatch(/^Received: \d+ pages \([\d.]+ MiB\) still its own/m)
        let swappedIn = 0
        await readPageOwner(vm.target.read('page_owner'), 'page_owner', (record) => {
          if (record.comm === 'dd' && record.marks.includes('swapped')) swappedIn += 2 ** record.order
        })
        expect(swappedIn).toBe(swap!.pages)
        // tmpfs frees a slot as it reads the page back: the file's owners are no longer kept.
        expect((await keptEntries(pageOwner)).kept).toBeLessThanOrEqual(kept.kept - swap!.pages)
        await expect(pageOwner).toAllocateAtMost('0 B', { ...fileData, include: 'swap', since: 'written' })
      } finally {
        await pageOwner.exec('rm /tmpfs/file')
      }
    }))

    it("20 swap-out and swap-in cycles, then swapoff: no owner kept, dd's stack back where it started", { timeout: 600_000 }, () => measured(session, async (pageOwner) => {
      const pages = 8192
      await pageOwner.mark('start', { swap: true })
      await pageOwner.exec(`dd if=/dev/zero of=/tmpfs/cycles bs=1M count=${pages / 256} status=none`)
      for (let cycle = 1; cycle <= 20; cycle++) {
        await swapOut(pageOwner, pages)
        const inSwap = (await pageOwner.delta({ ...fileData, include: 'swap', since: 'start' })).pages
        expect(inSwap, `cycle ${cycle}`).toBeGreaterThan(pages * 0.9)
        const kept = await keptEntries(pageOwner)
        expect(kept.failed, `cycle ${cycle}`).toBe(0)
        expect(kept.kept, `cycle ${cycle}`).toBeGreaterThanOrEqual(inSwap)
        await pageOwner.exec('cat /tmpfs/cycles > /dev/null')
        await expect(pageOwner, `cycle ${cycle}`).toAllocateBetween(`${pages * 4} KiB`, `${pages * 4} KiB`, { ...fileData, since: 'start' })
      }
      // Once more out, then the file removed while in swap, then swapoff: both paths drop entries.
      await swapOut(pageOwner, pages)
      await pageOwner.exec('rm /tmpfs/cycles && swapoff /dev/zram0')
      expect(await keptEntries(pageOwner)).toEqual({ kept: 0, failed: 0 })
      await expect(pageOwner).toFreeAll({ ...fileData, since: 'start' })
      const { stdout } = await pageOwner.exec('wc -c < /sys/kernel/debug/swap_page_owner')
      expect(stdout.trim()).toBe('0')
    }))
  })

  describe('the same kernel booted page_owner=on, without ,swap', () => {
    let vm: QemuVm
    let session: Session
    beforeAll(async () => {
      vm = await startVm(GUEST)
      session = await Session.open(vm.target, { cacheDir: tempDir() })
    })
    afterAll(() => vm?.stop())

    it('behaves as the stock kernel: the pages cat read back are cat\'s', { timeout: 600_000 }, () => measured(session, async (pageOwner) => {
      expect(session.capabilities.files.swap_page_owner).toBe(false)
      await ddFile(pageOwner)
      await swapOut(pageOwner, FILE_PAGES)
      await pageOwner.exec('cat /tmpfs/file > /dev/null')
      const message = await failure(expect(pageOwner).toRemainOwnedBy({ comm: 'dd' }, { since: 'written' }))
      expect(message).toMatch(/Now held by \(gained since 'written'\):\n {2}cat \(pid \d+\): \+\d+ pages/)
      expect(message).toContain('This kernel does not track pages in swap')
      await pageOwner.exec('rm /tmpfs/file')
    }))
  })
})
