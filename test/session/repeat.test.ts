import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import '../../src/vitest/expect.js'
import { UsageError } from '../../src/errors.js'
import { medianOf } from '../../src/session/repeat.js'
import { Session } from '../../src/session/session.js'
import { ReplayTarget } from '../../src/target/replay.js'
import { recording } from '../fake-kernel.js'
import { CAPTURE, DD_HANDLE, failure, rejection, tempDir } from '../helpers.js'

const XARRAY = 2752517
/** The dd stack's data pages, without the xarray nodes (slab) allocated on the same path. */
const ddPages = { frames: ['shmem_*', '!slab_alloc_node'] }

/** Steps s0..s4 of a noisy workload: the dd stack and the xarray stack at each instant. */
function noisyRecording(steps: Array<[dd: number, xarray: number]>): string {
  const files: Record<string, string> = {}
  for (const name of ['show_stacks_handles', 'boot_id', 'uname', 'count_threshold']) {
    files[name] = readFileSync(join(CAPTURE, name === 'show_stacks_handles' ? 'after.show_stacks_handles' : name), 'utf8')
  }
  steps.forEach(([dd, xarray], i) => {
    files[`s${i}.show_handles`] = `handle: ${DD_HANDLE}\nnr_base_pages: ${dd}\n\nhandle: ${XARRAY}\nnr_base_pages: ${xarray}\n\n`
  })
  return recording(files)
}

async function noisySession() {
  // Warm-up +1000 (first touch), then runs of +10, +100 (noise), +12 on dd; +1, +0, +1 on the xarray.
  const replay = new ReplayTarget({ dir: noisyRecording([[1, 1], [1001, 1], [1011, 2], [1111, 2], [1123, 3]]), step: 's0' })
  const session = await Session.open(replay, { cacheDir: tempDir() })
  const pageOwner = await session.begin()
  let step = 0
  const workload = async () => void replay.step(`s${++step}`)
  return { pageOwner, workload, session }
}

describe('repeat', () => {
  it('judges the median run per stack, after the warm-up', async () => {
    const { pageOwner, workload } = await noisySession()
    const delta = await pageOwner.repeat('write', workload, { times: 3, warmup: 1 })
    expect(delta.rows.map((row) => [row.key, row.delta])).toEqual([[DD_HANDLE, 12], [XARRAY, 1]])
    await expect(pageOwner).toAllocateAtMost({ pages: 12 }, { ...ddPages, since: 'write' })
    await expect(pageOwner).not.toAllocateAtMost({ pages: 11 }, { ...ddPages, since: 'write' })
    const message = await expect(pageOwner).toAllocateAtMost({ pages: 11 }, { ...ddPages, since: 'write' }).catch((e: Error) => e.message)
    expect(message).toContain("Compared: 'write (before)' -> 'write (median of 3)'")
  })

  it("with reduce: 'min', judges the smallest run per stack: a stack quiet in one run counts 0", async () => {
    const { pageOwner, workload } = await noisySession()
    const delta = await pageOwner.repeat('write', workload, { times: 3, warmup: 1, reduce: 'min' })
    // dd gained 10, 100, 12; the xarray 1, 0, 1: its minimum is no change at all.
    expect(delta.rows.map((row) => [row.key, row.delta])).toEqual([[DD_HANDLE, 10]])
    await expect(pageOwner).toAllocateAtMost({ pages: 10 }, { ...ddPages, since: 'write' })
    await expect(pageOwner).not.toAllocateAtMost({ pages: 9 }, { ...ddPages, since: 'write' })
    const message = await failure(expect(pageOwner).toAllocateAtMost({ pages: 9 }, { ...ddPages, since: 'write' }))
    expect(message).toContain("Compared: 'write (before)' -> 'write (min of 3)'")
  })

  it("keeps the median when reduce is 'median', as by default", async () => {
    const { pageOwner, workload } = await noisySession()
    const delta = await pageOwner.repeat('write', workload, { times: 3, warmup: 1, reduce: 'median' })
    expect(delta.rows.map((row) => [row.key, row.delta])).toEqual([[DD_HANDLE, 12], [XARRAY, 1]])
  })

  it('throws UsageError on an unknown reduce before running the workload', async () => {
    const { pageOwner, session } = await noisySession()
    const samples = session.samples
    let runs = 0
    const workload = async () => void runs++
    const error = await rejection(pageOwner.repeat('write', workload, { times: 3, reduce: 'max' as 'min' }))
    expect(error).toBeInstanceOf(UsageError)
    expect(error.message).toBe(`repeat: reduce must be 'median' or 'min', got "max"`)
    expect([runs, session.samples]).toEqual([0, samples])
  })

  it('runs the workload warmup + times times, passing the run index', async () => {
    const { pageOwner, workload } = await noisySession()
    const runs: number[] = []
    await pageOwner.repeat('write', async (run) => { runs.push(run); await workload() }, { times: 2, warmup: 2 })
    expect(runs).toEqual([0, 1, 2, 3])
  })

  it('throws on a bad count or a name already taken', async () => {
    const { pageOwner, workload, session } = await noisySession()
    const samples = session.samples
    await expect(pageOwner.repeat('write', workload, { times: 0 })).rejects.toThrow(UsageError)
    await expect(pageOwner.repeat('write', workload, { times: 1, warmup: 1.5 })).rejects.toThrow(/warmup must be a whole number >= 0/)
    expect(session.samples).toBe(samples)
    await pageOwner.mark('taken')
    await expect(pageOwner.repeat('taken', workload, { times: 1 })).rejects.toThrow(/already a mark or a repeat/)
  })
})

describe('medianOf', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(medianOf([100, 10, 12])).toBe(12)
    expect(medianOf([4, 1, 3, 2])).toBe(2.5)
  })
})
