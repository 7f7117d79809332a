import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import '../../src/vitest/index.js'
import { SAMPLE_PATH_NOTES } from '../../src/target/probe.js'
import { failure } from '../helpers.js'
import { captureSession } from './replay-session.js'

// The seed's dd of 256 MiB to /tmpfs, then rm, recorded on Debian's older lines
// (scripts/capture.mjs qemu-dd-6.12 qemu-dd-6.1): each step holds only the sample file that
// kernel has, so the session takes the path a live one would.
const GENERATIONS = [
  { release: '6.12.118', path: 'show_stacks' },
  { release: '6.1.192', path: 'page_owner' },
] as const
/** The file's page-cache pages: the shmem write path without the slab pages of its xarray. */
const fileData = { frames: ['shmem_*', '!kmem_cache_*'] }

describe.each(GENERATIONS)('a recording of $release', ({ release, path }) => {
  const dir = fileURLToPath(new URL(`../fixtures/linux-${release}-qemu-dd/`, import.meta.url))

  it(`samples through ${path}, counts dd's 65,536 pages exactly and sees them freed`, async () => {
    const { session, replay } = await captureSession({}, dir)
    expect(session.capabilities).toMatchObject({ kernel: release, path })
    const pageOwner = await session.begin()
    replay.step('after')
    await expect(pageOwner).toAllocateBetween('256 MiB', '256 MiB', fileData)
    const message = await failure(expect(pageOwner).toAllocateAtMost('200 MiB', fileData))
    expect(message).toMatch(/Received: 65536 pages \(256 MiB\), 14336 pages \(56 MiB\) over/)
    expect(message).toContain('vfs_write')
    expect(message).toContain(`read through ${SAMPLE_PATH_NOTES[path]}`)
    replay.step('freed')
    await expect(pageOwner).toFreeAll(fileData)
  })

  it('names dd as the owner of the pages in the per-page file', async () => {
    const { session, replay } = await captureSession({}, dir)
    replay.step('after')
    const owners = await (await session.begin()).owners()
    const dd = [...owners.entries.values()].filter((entry) => entry.comm === 'dd')
    expect(dd.reduce((n, entry) => n + entry.resident, 0)).toBeGreaterThanOrEqual(65536)
    expect(dd.every((entry) => entry.swap === 0)).toBe(true)
  })
})
