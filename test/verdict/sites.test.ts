import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import '../../src/vitest/expect.js'
import { AllocInfoUnavailableError, UsageError } from '../../src/errors.js'
import { Session } from '../../src/session/session.js'
import { ReplayTarget } from '../../src/target/replay.js'
import { baselinePath } from '../../src/verdict/baseline-file.js'
import { bindTest, recordsOf } from '../../src/verdict/section.js'
import { CAPTURE, failure, rejection, tempDir } from '../helpers.js'

/**
 * Call-site budgets over a replayed kernel: the recorded dd capture's page_owner files, with
 * allocinfo files written here for each step (generated, for the matchers' logic only; the
 * real kernel's numbers are proven in test/e2e/allocinfo.test.ts).
 */
const HEADER = 'allocinfo - version: 2.0\n#     <size>  <calls> <tag info>\n'
const line = (bytes: number, calls: number, tag: string) => `${String(bytes).padStart(12)} ${String(calls).padStart(8)} ${tag} \n`

/** Bytes and calls per tag at each step: 50,000 files made (a dentry and an inode each), then removed. */
const STEPS: Record<string, Array<[number, number, string]>> = {
  before: [
    [0, 0, 'fs/ext4/super.c:1400 func:ext4_alloc_inode'],
    [19_200, 100, 'fs/dcache.c:1690 func:__d_alloc'],
    [7_680, 10, 'mm/shmem.c:5171 func:shmem_alloc_inode'],
    [65_536, 8, 'mm/slub.c:3100 func:allocate_slab'],
    [4_096, 1, 'fs/xfs/xfs_buf.c:120 [xfs] func:xfs_buf_alloc'],
  ],
  after: [
    [0, 0, 'fs/ext4/super.c:1400 func:ext4_alloc_inode'],
    [9_619_200, 50_100, 'fs/dcache.c:1690 func:__d_alloc'],
    [38_407_680, 50_010, 'mm/shmem.c:5171 func:shmem_alloc_inode'],
    [13_172_736, 1_616, 'mm/slub.c:3100 func:allocate_slab'],
    [8_192, 2, 'fs/xfs/xfs_buf.c:120 [xfs] func:xfs_buf_alloc accurate:no'],
  ],
  freed: [
    [0, 0, 'fs/ext4/super.c:1400 func:ext4_alloc_inode'],
    [19_200, 100, 'fs/dcache.c:1690 func:__d_alloc'],
    [7_680, 10, 'mm/shmem.c:5171 func:shmem_alloc_inode'],
    [13_172_736, 1_616, 'mm/slub.c:3100 func:allocate_slab'],
    [4_096, 1, 'fs/xfs/xfs_buf.c:120 [xfs] func:xfs_buf_alloc'],
  ],
}

function recordingWith(files: Record<string, string>): string {
  const dir = tempDir()
  cpSync(CAPTURE, dir, { recursive: true })
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

function allocinfoRecording(): string {
  return recordingWith({
    mem_profiling: '1\n',
    ...Object.fromEntries(Object.entries(STEPS).map(([step, rows]) => [`${step}.allocinfo`, HEADER + rows.map((row) => line(...row)).join('')])),
  })
}

async function at(step: 'after' | 'freed', dir = allocinfoRecording()) {
  const replay = new ReplayTarget({ dir, step: 'before' })
  const session = await Session.open(replay, { cacheDir: tempDir() })
  const pageOwner = await session.begin()
  replay.step(step)
  return { session, pageOwner }
}

const files = { sites: ['fs/dcache.c:*', 'mm/shmem.c:*'] }

describe('budgets on call sites (sites)', () => {
  it('toAllocateAtMost passes within the bytes and fails over them, naming the sites', async () => {
    const { pageOwner } = await at('after')
    await expect(pageOwner).toAllocateAtMost('46 MiB', files)
    expect(await failure(expect(pageOwner).toAllocateAtMost('10 MiB', files))).toMatchInlineSnapshot(`
      "expect(pageOwner).toAllocateAtMost('10 MiB')

      Sites:    fs/dcache.c:* | mm/shmem.c:*
      Expected: at most 10 MiB
      Received: 45.78 MiB in 100000 calls, 35.78 MiB over

      Top call sites (2 of 2 selected that changed):
        mm/shmem.c:5171 func:shmem_alloc_inode: +36.62 MiB in +50000 calls (7.5 KiB -> 36.63 MiB)
        fs/dcache.c:1690 func:__d_alloc: +9.16 MiB in +50000 calls (18.75 KiB -> 9.17 MiB)

      Compared: 'start' -> 'expect' (… s apart, boot cf9880ef)
                all call sites +58.28 MiB; read through /proc/allocinfo (bytes and calls per call site)"
    `)
  })

  it('.not: passes over the budget, fails within it', async () => {
    const { pageOwner } = await at('after')
    await expect(pageOwner).not.toAllocateAtMost('10 MiB', files)
    expect(await failure(expect(pageOwner).not.toAllocateAtMost('46 MiB', files))).toContain('Expected: not at most 46 MiB\nReceived: 45.78 MiB in 100000 calls\n')
  })

  it('limits calls too: both the bytes and the calls must hold', async () => {
    const { pageOwner } = await at('after')
    await expect(pageOwner).toAllocateAtLeast('9 MiB', { sites: ['func:__d_alloc'], calls: 50_000 })
    expect(await failure(expect(pageOwner).toAllocateAtLeast('9 MiB', { sites: ['func:__d_alloc'], calls: 60_000 }))).toContain(
      'Expected: at least 9 MiB, at least 60000 calls\nReceived: 9.16 MiB in 50000 calls, 10000 calls short\n',
    )
    await expect(pageOwner).toAllocateAtMost('10 MiB', { sites: ['fs/dcache.c:*'], calls: 50_000 })
    expect(await failure(expect(pageOwner).toAllocateAtMost('10 MiB', { sites: ['fs/dcache.c:*'], calls: 49_999 }))).toContain('1 calls over')
    await expect(pageOwner).toAllocateBetween('9 MiB', '10 MiB', { sites: ['fs/dcache.c:*'], calls: { min: 49_000, max: 51_000 } })
    await expect(pageOwner).not.toAllocateBetween('9 MiB', '10 MiB', { sites: ['fs/dcache.c:*'], calls: { min: 51_000 } })
  })

  it('a budget on a site the workload did not touch stays at 0', async () => {
    const { pageOwner } = await at('after')
    await expect(pageOwner).toAllocateAtMost(0, { sites: ['fs/ext4/*'] })
    expect(await failure(expect(pageOwner).not.toAllocateAtMost(0, { sites: ['fs/ext4/*'] }))).toContain('No selected call site changed.')
  })

  it('func: globs the function, ! excludes, module picks sites in a module', async () => {
    const { pageOwner } = await at('after')
    const sites = async (selector: object) => (await pageOwner.delta(selector as { sites: string[] })).rows.map((row) => row.key)
    expect(await sites({ sites: ['func:*_alloc_inode'] })).toEqual(['mm/shmem.c:5171 func:shmem_alloc_inode'])
    expect(await sites({ sites: ['fs/**', '!fs/dcache.c:1690'] })).toEqual(['fs/xfs/xfs_buf.c:120 [xfs] func:xfs_buf_alloc'])
    expect(await sites({ sites: [], module: 'x*' })).toEqual(['fs/xfs/xfs_buf.c:120 [xfs] func:xfs_buf_alloc'])
    const all = await pageOwner.delta({ sites: [] })
    expect(all).toMatchObject({ selector: 'all sites', bytes: all.totalBytes, calls: 50000 + 50000 + 1608 + 1 })
  })

  it('toFreeAll: the bytes are back once the files are gone', async () => {
    const { pageOwner } = await at('freed')
    await expect(pageOwner).toFreeAll({ ...files, settle: 0 })
    expect(await failure(expect(pageOwner).toFreeAll({ sites: ['mm/slub.c:*'], settle: 0 }))).toContain('Expected: no bytes still held\nReceived: 12.5 MiB in 1608 calls, 12.5 MiB over')
  })

  it('records bytes, calls and the top sites', async () => {
    const { pageOwner } = await at('after')
    await expect(pageOwner).toAllocateAtMost('46 MiB', { ...files, calls: 100_000 })
    expect(recordsOf(pageOwner)[0]).toMatchObject({
      selector: 'fs/dcache.c:* | mm/shmem.c:*',
      measured: { bytes: 48_000_000, pages: 48_000_000 / 4096 },
      budget: { max: { bytes: 46 * 2 ** 20 } },
      held: true,
      top: [],
      sites: [
        { site: 'mm/shmem.c:5171 func:shmem_alloc_inode', bytes: 38_400_000, calls: 50_000 },
        { site: 'fs/dcache.c:1690 func:__d_alloc', bytes: 9_600_000, calls: 50_000 },
      ],
      calls: { measured: 100_000, max: 100_000 },
    })
  })

  it('toStayWithinBaseline stores the bytes and compares with them, naming the call sites that grew', async () => {
    const dir = tempDir()
    const test = async () => {
      const { pageOwner } = await at('after')
      bindTest(pageOwner, { file: join(dir, 'files.test.ts'), title: ['files'], updateBaselines: 'new' })
      return pageOwner
    }
    const first = await test()
    await expect(first).toStayWithinBaseline(files)
    expect(recordsOf(first)[0]).toMatchObject({ baseline: { pages: null, status: 'written' }, measured: { bytes: 48_000_000 }, calls: { measured: 100_000 } })
    const path = baselinePath(join(dir, 'files.test.ts'))
    const stored = JSON.parse(readFileSync(path, 'utf8')) as { tests: Record<string, Record<string, { pages: number; sites: { site: string; bytes: number }[] }>> }
    const entry = stored.tests.files!['fs/dcache.c:* | mm/shmem.c:*']!
    expect(entry).toMatchObject({ pages: 48_000_000 / 4096, stacks: [], sites: [{ site: 'mm/shmem.c:5171 func:shmem_alloc_inode', bytes: 38_400_000 }, { site: 'fs/dcache.c:1690 func:__d_alloc', bytes: 9_600_000 }] })
    await expect(await test()).toStayWithinBaseline(files)
    // As if recorded when each inode took half as much.
    entry.pages -= 19_200_000 / 4096
    entry.sites[0]!.bytes -= 19_200_000
    writeFileSync(path, JSON.stringify(stored))
    const message = await failure(expect(await test()).toStayWithinBaseline(files))
    expect(message).toContain('Expected: at most 27.47 MiB (the baseline)\nReceived: 45.78 MiB in 100000 calls, 18.31 MiB over')
    expect(message).toContain('Call sites that grew since the baseline (1 of 1):\n  +18.31 MiB (18.31 MiB -> 36.62 MiB), mm/shmem.c:5171 func:shmem_alloc_inode\n')
  })

  it('refuses misuse before reading the kernel', async () => {
    const { pageOwner } = await at('after')
    const usage = async (promise: Promise<unknown>) => {
      const error = await rejection(promise)
      expect(error).toBeInstanceOf(UsageError)
      return error.message
    }
    expect(await usage(expect(pageOwner).toAllocateAtMost('1 MiB', { sites: ['fs/*'], frames: ['shmem_*'] }))).toContain('stacks (frames) or call sites (sites), not both')
    expect(await usage(expect(pageOwner).toAllocateAtMost('1 MiB', { frames: ['shmem_*'], calls: 3 }))).toContain('give sites too')
    expect(await usage(expect(pageOwner).toAllocateAtMost('1 MiB', { sites: ['fs/*'], calls: -1 }))).toContain('calls must be a whole number')
    expect(await usage(expect(pageOwner).toAllocateBetween('1 MiB', '2 MiB', { sites: ['fs/*'], calls: 3 }))).toContain('calls needs both ends')
    expect(await usage(expect(pageOwner).toAllocateAtMost('1 MiB', { sites: [''] }))).toContain('sites must be a list of non-empty patterns')
    expect(await usage(expect(pageOwner).toAllocateAtMost('1 MiB', { sites: ['fs/*'], include: 'swap' }))).toContain('leave it out with sites')
  })

  it('repeat keeps the median (or the smallest) gain per call site, in bytes and calls alike', async () => {
    // Warm-up +1000 calls, then runs of +10, +100 (noise), +12 calls of 192 bytes each.
    const calls = [100, 1100, 1110, 1210, 1222]
    const steps = Object.fromEntries(calls.flatMap((n, i) => [
      [`s${i}.allocinfo`, HEADER + line(n * 192, n, 'fs/dcache.c:1690 func:__d_alloc')],
      [`s${i}.show_handles`, readFileSync(join(CAPTURE, 'before.show_handles'), 'utf8')],
    ]))
    for (const [reduce, gain] of [['median', 12], ['min', 10]] as const) {
      const replay = new ReplayTarget({ dir: recordingWith({ mem_profiling: '1\n', ...steps }), step: 's0' })
      const pageOwner = await (await Session.open(replay, { cacheDir: tempDir() })).begin()
      let step = 0
      await pageOwner.repeat('touch', async () => void replay.step(`s${++step}`), { times: 3, warmup: 1, reduce })
      expect(await pageOwner.delta({ sites: ['func:__d_alloc'], since: 'touch' })).toMatchObject({ bytes: gain * 192, calls: gain })
      await expect(pageOwner).toAllocateAtMost(`${gain * 192} B`, { sites: ['func:__d_alloc'], since: 'touch', calls: gain })
      await expect(pageOwner).not.toAllocateAtMost(`${gain * 192 - 1} B`, { sites: ['func:__d_alloc'], since: 'touch' })
    }
  })

  it.each([
    ['not-built', {}, 'built without CONFIG_MEM_ALLOC_PROFILING'],
    ['off', { mem_profiling: '0\n', 'before.allocinfo': HEADER + line(0, 0, 'a.c:1 func:f') }, 'vm.mem_profiling is not 1'],
  ] as const)('names what is missing when the kernel cannot count call sites (%s)', async (reason, extra, text) => {
    const { pageOwner, session } = await at('after', recordingWith(extra))
    expect(session.capabilities.allocinfo).toBe(reason)
    await expect(pageOwner).toAllocateAtMost('260 MiB', { frames: ['shmem_*'] }) // stacks still work
    const error = await rejection(expect(pageOwner).toAllocateAtMost('1 MiB', files))
    expect(error).toBeInstanceOf(AllocInfoUnavailableError)
    expect(error).toMatchObject({ reason, code: 'E_ALLOCINFO_OFF' })
    expect(error.message).toContain(text)
  })
})
