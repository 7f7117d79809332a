import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { StacksCache } from '../../src/snapshot/stacks.js'
import { ReplayTarget } from '../../src/target/replay.js'
import { captureSession } from '../session/replay-session.js'
import { CAPTURE, DD_HANDLE, tempDir } from '../helpers.js'

const BOOT = 'cf9880ef-c1c0-4c30-b81b-63047337ef51'

describe('StacksCache', () => {
  it('resolves only the stacks whose counts changed, reading show_stacks_handles once', async () => {
    const { session, replay } = await captureSession()
    const first = await session.begin()
    replay.step('after')
    const delta = await first.delta({ frames: ['shmem_*'] })
    await first.end()
    expect(delta.rows.find((row) => row.key === DD_HANDLE)?.delta).toBe(65536)
    expect(session.stacks.stats.kernelReads).toBe(1)
    const { lookups, hits } = session.stacks.stats

    // A second test in the same run: the stacks it meets are known, nothing is read again.
    replay.step('before')
    const second = await session.begin()
    replay.step('after')
    await second.delta({ frames: ['shmem_*'] })
    expect(session.stacks.stats.kernelReads).toBe(1)
    expect(session.stacks.stats.lookups - lookups).toBeGreaterThan(0)
    expect(session.stacks.stats.hits - hits).toBe(session.stacks.stats.lookups - lookups)
  })

  it('shares what one worker resolved with the next through the cache file', async () => {
    const file = join(tempDir(), 'stacks.json')
    const target = new ReplayTarget({ dir: CAPTURE, step: 'after' })
    const workerA = new StacksCache(target, BOOT, file)
    expect((await workerA.resolve([DD_HANDLE])).get(DD_HANDLE)?.some((f) => f.fn === 'vfs_write')).toBe(true)
    expect(workerA.stats.kernelReads).toBe(1)

    const workerB = new StacksCache(target, BOOT, file)
    const frames = (await workerB.resolve([DD_HANDLE])).get(DD_HANDLE)
    expect(frames?.map((f) => f.fn)).toContain('shmem_get_folio_gfp.constprop.0')
    expect(workerB.stats.kernelReads).toBe(0)
  })

  it('ignores a cache file from another boot or a damaged one, and rebuilds it', async () => {
    const file = join(tempDir(), 'stacks.json')
    const target = new ReplayTarget({ dir: CAPTURE, step: 'after' })
    writeFileSync(file, JSON.stringify({ version: 1, bootId: 'other-boot', stacks: { [DD_HANDLE]: [' bogus+0x1/0x2'] } }))
    const cache = new StacksCache(target, BOOT, file)
    expect((await cache.resolve([DD_HANDLE])).get(DD_HANDLE)?.[0]?.fn).toBe('get_page_from_freelist')
    expect(JSON.parse(readFileSync(file, 'utf8')).bootId).toBe(BOOT)

    writeFileSync(file, '{"version":1,"bootId"')
    const again = new StacksCache(target, BOOT, file)
    expect((await again.resolve([DD_HANDLE])).get(DD_HANDLE)).toBeDefined()
    expect(again.stats.kernelReads).toBe(1)
  })

  it('re-reads show_stacks_handles once for a handle it has never seen, and reports it unknown', async () => {
    const cache = new StacksCache(new ReplayTarget({ dir: CAPTURE, step: 'after' }), BOOT)
    await cache.resolve([DD_HANDLE])
    const result = await cache.resolve([DD_HANDLE, 99])
    expect(result.get(99)).toBeUndefined()
    expect(cache.stats.kernelReads).toBe(2)
  })
})
