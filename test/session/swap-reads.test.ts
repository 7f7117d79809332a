import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { UsageError } from '../../src/errors.js'
import type { SessionOptions } from '../../src/session/options.js'
import { Session } from '../../src/session/session.js'
import { ReplayTarget } from '../../src/target/replay.js'
import type { KernelFile } from '../../src/target/types.js'
import { tempDir } from '../helpers.js'

// Recorded from the kernel with page-budget's swap patches: dd wrote 256 MiB, and at `after`
// half of it has been read back, the other half (32768 pages) is in swap.
const PATCHED = fileURLToPath(new URL('../fixtures/linux-7.2.13-qemu-swap-page-owner', import.meta.url))
/** The file's own pages: dd's write path, without the slab pages of its xarray. */
const fileData = { frames: ['shmem_*', 'vfs_write', '!kmem_cache_*'] }
const IN_SWAP = 32768

/** A session on the patched kernel whose target counts the reads of each file. */
async function countedSession(options: SessionOptions = {}) {
  const replay = new ReplayTarget({ dir: PATCHED, step: 'before' })
  const reads = new Map<KernelFile, number>()
  const target = new Proxy(replay, {
    get(real, key) {
      if (key === 'read') {
        return (file: KernelFile) => {
          reads.set(file, (reads.get(file) ?? 0) + 1)
          return real.read(file)
        }
      }
      const value = Reflect.get(real, key, real) as unknown
      return typeof value === 'function' ? value.bind(real) : value
    },
  })
  const session = await Session.open(target, { cacheDir: tempDir(), ...options })
  expect(session.capabilities.files.swap_page_owner).toBe(true)
  const swapReads = () => reads.get('swap_page_owner') ?? 0
  return { session, replay, swapReads }
}

describe('swap_page_owner is read only when asked', () => {
  it('is not read by samples and deltas that do not count swap', async () => {
    const { session, replay, swapReads } = await countedSession()
    const pageOwner = await session.begin()
    replay.step('after')
    await pageOwner.snapshot()
    expect((await pageOwner.delta(fileData)).pages).toBe(65536 - IN_SWAP)
    expect((await pageOwner.delta({ ...fileData, include: 'resident' })).pages).toBe(65536 - IN_SWAP)
    await pageOwner.mark('m')
    expect(swapReads()).toBe(0)
    expect(session.samples).toBe(5)
  })

  it('is read for the snapshots of a delta that counts swap, and a baseline without it is named', async () => {
    const { session, replay, swapReads } = await countedSession()
    const pageOwner = await session.begin()
    replay.step('after')
    const error = await pageOwner.delta({ ...fileData, include: 'all' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).message).toContain("needs swap_page_owner read at 'start'")
    expect((error as UsageError).hint).toContain('countSwap: true')
    expect(swapReads()).toBe(1) // the delta's own snapshot
  })

  it('is read at a mark taken with { swap: true }, and at the delta measured from it', async () => {
    const { session, replay, swapReads } = await countedSession()
    const pageOwner = await session.begin()
    await pageOwner.mark('before', { swap: true })
    replay.step('after')
    expect((await pageOwner.delta({ ...fileData, since: 'before', include: 'swap' })).pages).toBe(IN_SWAP)
    expect(swapReads()).toBe(2)
  })

  it('is read with every snapshot when the session says countSwap', async () => {
    const { session, replay, swapReads } = await countedSession({ countSwap: true })
    const pageOwner = await session.begin()
    replay.step('after')
    expect((await pageOwner.delta({ ...fileData, include: 'all' })).pages).toBe(65536)
    await pageOwner.snapshot()
    expect(swapReads()).toBe(3)
  })

  it('is read once per owners sample', async () => {
    const { session, replay, swapReads } = await countedSession()
    const pageOwner = await session.begin()
    replay.step('after')
    await pageOwner.owners()
    expect(swapReads()).toBe(1)
  })
})
