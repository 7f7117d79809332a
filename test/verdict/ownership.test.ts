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

// The seed's "after" slide as recorded files (see test/fixtures/make-rfc-swap-after.mjs):
// dd wrote 256 MiB; 25000 of its pages are in swap, 30000 were read back (still dd's).
const RFC = fileURLToPath(new URL('../fixtures/rfc-swap-after', import.meta.url))
const ddWrite = { frames: ['shmem_*', 'vfs_write'] }

/** Start at `before`, mark `written` with owners, then move to `to`: the swap scenario's three instants. */
async function swapScenario(to: 'after' | 'stolen' | 'swapped', dir = RFC, options: SessionOptions = {}) {
  const replay = new ReplayTarget({ dir, step: 'before' })
  const session = await Session.open(replay, { cacheDir: tempDir(), ...options })
  const pageOwner = await session.begin()
  replay.step('written')
  await pageOwner.mark('written', { owners: true })
  replay.step(to)
  return { session, pageOwner }
}

describe('toRemainOwnedBy a process (per-page files)', () => {
  it('passes when the pages stay dd\'s through swap-out and swap-in (the RFC)', async () => {
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
      Expected: not the 65688 pages (256.59 MiB) dd held at 'written' still its own
      Received: 65688 pages (256.59 MiB) still its own (40688 resident, 25000 in swap)

      Now held by (gained since 'written'):
        cat (pid 241): +1999 pages (7.81 MiB)
            …
            pipe_write
            vfs_write
            ksys_write
            …

      Compared: 'written' -> 'expect' (… s apart, boot cf9880ef)
                read 84.5 MiB of page_owner and swap_page_owner (… s)"
    `)
  })
  it('fails when cat took the pages it read back, naming cat and its swap-in stack', async () => {
    const { pageOwner } = await swapScenario('stolen')
    await expect(pageOwner).not.toRemainOwnedBy({ comm: 'dd' }, { since: 'written' })
    const message = await failure(expect(pageOwner).toRemainOwnedBy({ comm: 'dd' }, { since: 'written' }))
    expect(message).toContain('cat (pid 241): +30000 pages')
    expect(message).toContain('shmem_swapin_folio')
    expect(message).toMatchInlineSnapshot(`
      "expect(pageOwner).toRemainOwnedBy({ comm: 'dd' }, { since: 'written' })

      Owner:    dd (process, from the per-page files)
      Expected: the 65688 pages (256.59 MiB) dd held at 'written' still its own
      Received: 35688 pages (139.41 MiB) still its own (10688 resident, 25000 in swap); 30000 pages (117.19 MiB) moved away

      Now held by (gained since 'written'):
        cat (pid 241): +30000 pages (117.19 MiB)
            …
            shmem_swap_alloc_folio
            shmem_swapin_folio
            shmem_get_folio_gfp.constprop.0
            shmem_file_read_iter
            vfs_read
            ksys_read
            …
        cat (pid 241): +1999 pages (7.81 MiB)
            …
            pipe_write
            vfs_write
            ksys_write
            …

      Compared: 'written' -> 'expect' (… s apart, boot cf9880ef)
                read 83.12 MiB of page_owner and swap_page_owner (… s)"
    `)
  })
  it('allows a tolerance', async () => {
    const { pageOwner } = await swapScenario('stolen')
    await expect(pageOwner).toRemainOwnedBy({ comm: 'dd' }, { since: 'written', tolerance: '50%' })
    await expect(pageOwner).not.toRemainOwnedBy({ comm: 'dd', pid: 33 }, { since: 'written', tolerance: '40%' })
  })
  it('needs owners recorded at the mark', async () => {
    const replay = new ReplayTarget({ dir: RFC, step: 'written' })
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
  it('passes on the RFC, which keeps swapped pages on the allocating stack', async () => {
    const { pageOwner } = await swapScenario('after')
    await expect(pageOwner).toRemainOwnedBy(ddWrite, { since: 'written' })
  })
  it('fails when the swap-in stack took the pages', async () => {
    const { pageOwner } = await swapScenario('stolen')
    await expect(pageOwner).not.toRemainOwnedBy(ddWrite, { since: 'written' })
    const message = await failure(expect(pageOwner).toRemainOwnedBy(ddWrite, { since: 'written' }))
    expect(stackEntry(message, /^  handle 99999813: \+30000 pages \(117\.19 MiB\)$/)).toContain('shmem_swapin_folio')
  })
})

describe('include: which pages a budget counts', () => {
  it('counts dd\'s pages in swap, in memory, and both, never twice', async () => {
    const { pageOwner } = await swapScenario('after', RFC, { countSwap: true })
    expect((await pageOwner.delta({ ...ddWrite, include: 'swap' })).pages).toBe(25000)
    expect((await pageOwner.delta({ ...ddWrite, include: 'resident' })).pages).toBe(65536 - 25000)
    expect((await pageOwner.delta({ ...ddWrite, include: 'all' })).pages).toBe(65536)
    await expect(pageOwner).toAllocateBetween({ pages: 25000 }, { pages: 25000 }, { ...ddWrite, include: 'swap' })
    await expect(pageOwner).not.toAllocateAtLeast('256 MiB', { ...ddWrite, include: 'resident' })
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
