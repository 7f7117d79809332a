import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { AllocInfoUnavailableError } from '../../src/errors.js'
import { openFile } from '../../src/format/file.js'
import { parseAllocInfo, type SiteCount } from '../../src/format/allocinfo.js'
import { formatSeriesFile, parseSeriesFile, readSeriesFileSync, type RecordMeta } from '../../src/format/recording.js'
import { Series } from '../../src/format/series.js'
import { SiteSeries } from '../../src/format/site-series.js'
import { ReplayTarget } from '../../src/target/replay.js'
import { AlertWatch, parseAlert, type AlertCrossing } from '../../src/watch/alerts.js'
import { runWatch } from '../../src/watch/run.js'
import { liveView } from '../../src/watch/view.js'
import { CAPTURE, rejection, tempDir } from '../helpers.js'

/** Real /proc/allocinfo (and show_handles) from the QEMU test kernel: before, after 50,000 empty files in tmpfs, then after dd of 256 MiB. */
const ALLOCINFO = fileURLToPath(new URL('../fixtures/linux-7.2.13-qemu-allocinfo/', import.meta.url))
const STEPS = ['before', 'files', 'dd'] as const
const REPLAY = ['--replay', ALLOCINFO, '--steps', STEPS.join(',')]
const DALLOC = 'fs/dcache.c:1909 func:__d_alloc'
/** What the capture holds at __d_alloc per step, read off the files with grep. */
const DALLOC_BYTES = [190272, 9790848, 9791424]
const DALLOC_CALLS = [991, 50994, 50997]

const read = (step: string) => parseAllocInfo(openFile(join(ALLOCINFO, `${step}.allocinfo`)), step)

async function run(...argv: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await main(argv, (t) => (stdout += `${t}\n`), (t) => (stderr += `${t}\n`))
  return { code, stdout, stderr }
}

/** The sites holding something, as [key, bytes, calls]: what a site series must give back. */
const held = (sites: ReadonlyMap<string, SiteCount>) => [...sites.values()].filter((c) => c.bytes !== 0 || c.calls !== 0).map((c) => [c.key, c.bytes, c.calls]).sort()

const meta: RecordMeta = { target: 'test', bootId: 'b', kernel: '7.2.13', pageSize: 4096, path: 'show_handles', startedAt: '2025-01-01T00:00:00.000Z', intervalMs: 1000, stopped: 'samples' }

async function seriesOfCapture(): Promise<{ series: SiteSeries; reads: ReadonlyMap<string, SiteCount>[] }> {
  const series = new SiteSeries()
  const reads = []
  for (const [i, step] of STEPS.entries()) {
    const sites = (await read(step)).sites
    reads.push(sites)
    series.push(i * 1000, sites)
  }
  return { series, reads }
}

describe('SiteSeries over the real capture', () => {
  it('gives back every site holding memory at every sample, and keeps only changes after the first', async () => {
    const { series, reads } = await seriesOfCapture()
    reads.forEach((sites, i) => expect(held(series.countsAt(i)), STEPS[i]).toEqual(held(sites)))
    const id = series.table.findIndex((_, i) => series.key(i) === DALLOC)
    expect(series.bytes.valuesOf([id]).get(id)).toEqual(DALLOC_BYTES)
    expect(series.calls.valuesOf([id]).get(id)).toEqual(DALLOC_CALLS)
    // Most of ~350 held sites do not move between reads: the later samples keep far fewer pairs.
    expect(series.bytes.changesAt(0).length / 2).toBe(held(reads[0]!).filter(([, bytes]) => bytes !== 0).length)
    expect(series.bytes.changesAt(1).length).toBeLessThan(series.bytes.changesAt(0).length / 2)
  })

  it("round-trips through series.json, the sites' table typed, every sample exact", async () => {
    const { series, reads } = await seriesOfCapture()
    const stacks = new Series()
    STEPS.forEach((_, i) => stacks.push(i * 1000, new Map([[7, i]])))
    const text = formatSeriesFile(meta, stacks, series)
    const json = JSON.parse(text)
    expect(json.sites.table[series.table.findIndex((_, i) => series.key(i) === DALLOC)]).toEqual({ file: 'fs/dcache.c', line: 1909, fn: '__d_alloc' })
    const back = parseSeriesFile(text, 'series.json')
    expect(back.series.countsAt(2)).toEqual(new Map([[7, 2]]))
    reads.forEach((sites, i) => expect(held(back.sites!.countsAt(i))).toEqual(held(sites)))
    // A file without sites (as every recording before them) still reads, with none.
    expect(parseSeriesFile(formatSeriesFile(meta, stacks), 'series.json').sites).toBeUndefined()
  })

  it('refuses a site id beyond the table, and sites missing a sample', async () => {
    const { series } = await seriesOfCapture()
    const stacks = new Series()
    STEPS.forEach((_, i) => stacks.push(i * 1000, new Map([[7, 1]])))
    const json = JSON.parse(formatSeriesFile(meta, stacks, series))
    const beyond = structuredClone(json)
    beyond.sites.bytes[1] = [series.table.length, 5]
    expect(() => parseSeriesFile(JSON.stringify(beyond), 'series.json')).toThrow(/a site id beyond the table/)
    const short = structuredClone(json)
    short.sites.calls.pop()
    expect(() => parseSeriesFile(JSON.stringify(short), 'series.json')).toThrow(/sites need bytes and calls for every sample/)
  })
})

describe('alerts on call sites', () => {
  it('parses sites, refuses sites with frames', () => {
    expect(parseAlert('sites=fs/dcache.c:*,sites=func:kmalloc_*,max=16MiB').selector).toEqual({ sites: ['fs/dcache.c:*', 'func:kmalloc_*'] })
    expect(parseAlert('frames=shmem_*,max=1MiB').selector).toEqual({ frames: ['shmem_*'] })
    expect(() => parseAlert('sites=fs/*,frames=shmem_*,max=1MiB')).toThrow(/stacks \(frames\) or call sites \(sites\), not both/)
  })

  it("fire on the selected sites' bytes as the real capture's files are made and deleted, and not on sites that stay put (ext4 holds 7 KiB throughout)", async () => {
    const alerts = new AlertWatch([parseAlert('sites=func:__d_alloc,max=4MiB'), parseAlert('sites=fs/ext4/*,max=16KiB')], 4096)
    const series = new SiteSeries()
    const seen: AlertCrossing[] = []
    // before, 50,000 files, then before again: the files' dentries freed.
    for (const [i, step] of ['before', 'files', 'before'].entries()) {
      const changed = series.push(i * 1000, (await read(step)).sites)
      seen.push(...alerts.update(i, i * 1000, [], new Map(), { changed, series }))
    }
    expect(seen).toEqual([
      { alert: 'sites=func:__d_alloc,max=4MiB', source: 'sites', kind: 'crossed', sample: 1, at: 1000, bytes: DALLOC_BYTES[1], calls: DALLOC_CALLS[1], limitBytes: 4 * 1024 * 1024, top: [{ site: DALLOC, bytes: DALLOC_BYTES[1], calls: DALLOC_CALLS[1] }] },
      { alert: 'sites=func:__d_alloc,max=4MiB', source: 'sites', kind: 'recovered', sample: 2, at: 2000, bytes: DALLOC_BYTES[0], calls: DALLOC_CALLS[0], limitBytes: 4 * 1024 * 1024, top: [{ site: DALLOC, bytes: DALLOC_BYTES[0], calls: DALLOC_CALLS[0] }] },
    ])
  })
})

describe('page-budget watch --sites over the real capture', () => {
  it("shows the selected sites' bytes and calls, and leaves the stack series as it was", async () => {
    const withSites = await run('watch', ...REPLAY, '--sites', 'fs/dcache.c:*', '--json', '--top', '3')
    const without = await run('watch', ...REPLAY, '--json', '--top', '3')
    expect(withSites.code).toBe(0)
    const json = JSON.parse(withSites.stdout)
    const { sites, startedAt: _a, ...stacks } = json
    const { startedAt: _b, ...alone } = JSON.parse(without.stdout)
    expect(stacks).toEqual(alone)
    expect(alone.sites).toBeUndefined()
    expect(sites.selector).toBe('fs/dcache.c:*')
    expect(sites.totalBytes.last - sites.totalBytes.first).toBe(DALLOC_BYTES[2]! - DALLOC_BYTES[0]!)
    expect(sites.top[0]).toEqual({
      site: DALLOC, file: 'fs/dcache.c', line: 1909, function: '__d_alloc',
      first: DALLOC_BYTES[0], last: DALLOC_BYTES[2], min: DALLOC_BYTES[0], max: DALLOC_BYTES[2], peakAtMs: 2000,
      calls: { first: DALLOC_CALLS[0], last: DALLOC_CALLS[2], min: DALLOC_CALLS[0], max: DALLOC_CALLS[2] },
    })
    // Only the selected file's sites.
    expect(sites.top.every((row: { file: string }) => row.file === 'fs/dcache.c')).toBe(true)
  })

  it('prints the sites per sample off a terminal, and their table at the end', async () => {
    const { stdout } = await run('watch', ...REPLAY, '--sites', 'func:__d_alloc')
    const lines = stdout.trim().split('\n')
    expect(lines[1]).toContain(`sites func:__d_alloc 9.34 MiB (+9.16 MiB since start)`)
    expect(lines[1]).toContain(`; sites: ${DALLOC} 9.34 MiB (+9.16 MiB, +${DALLOC_CALLS[1]! - DALLOC_CALLS[0]!} calls)`)
    expect(stdout).toMatch(new RegExp(`${DALLOC.replaceAll('.', '\\.')} +190272 +9791424 +190272 +9791424 +9\\.34 MiB +991 -> 50997`))
  })

  it('redraws the call-site table on a terminal, under the stacks', async () => {
    let screen = ''
    await runWatch({ target: { kind: 'replay', dir: ALLOCINFO }, steps: [...STEPS], intervalMs: 1000, top: 2, sites: { sites: ['mm/shmem.c:*'] }, view: liveView((text) => (screen += text), 'page-budget watch', 2) })
    const last = screen.slice(screen.lastIndexOf('page-budget watch'))
    expect(last).toMatch(/^call site +bytes +size +change +calls +change$/m)
    expect(last).toMatch(/^mm\/shmem\.c:1920 func:shmem_alloc_folio +271216640 +258\.65 MiB +\+256 MiB +66215 +\+65536$/m)
    expect(last).toMatch(/^mm\/shmem\.c:5093 func:shmem_alloc_inode +32570880 +31\.06 MiB +\+30\.52 MiB +50892 +\+50002$/m)
    expect(last).not.toContain('fs/dcache.c')
    // The stack table stays above it, as without --sites.
    expect(last.indexOf('handle')).toBeLessThan(last.indexOf('call site'))
  })

  it('exits 3 when an alert on sites crossed, naming the site', async () => {
    const { code, stdout } = await run('watch', ...REPLAY, '--alert', 'sites=fs/dcache.c:*,max=4MiB')
    expect(code).toBe(3)
    expect(stdout).toContain(`ALERT sites=fs/dcache.c:*,max=4MiB: went over 4 MiB at 1 s (sample 2): 9.34 MiB in ${DALLOC_CALLS[1]} calls; largest: ${DALLOC} 9.34 MiB in ${DALLOC_CALLS[1]} calls`)
    expect((await run('watch', ...REPLAY, '--alert', 'sites=fs/dcache.c:*,max=16MiB')).code).toBe(0)
  })

  it('records the sites, and the recording replays them (the replay target serving allocinfo per sample)', async () => {
    const dir = join(tempDir(), 'rec')
    expect((await run('record', dir, ...REPLAY, '--sites', 'fs/dcache.c:*', '--sites', 'mm/shmem.c:*', '--top', '3')).code).toBe(0)
    const recorded = readSeriesFileSync(join(dir, 'series.json'))
    for (const [i, step] of STEPS.entries()) expect(held(recorded.sites!.countsAt(i)), step).toEqual(held((await read(step)).sites))

    const replay = new ReplayTarget({ dir })
    replay.step('1')
    const served = await parseAllocInfo(replay.read('allocinfo'), 'allocinfo')
    expect(served.sites.get(DALLOC)).toMatchObject({ bytes: DALLOC_BYTES[1], calls: DALLOC_CALLS[1] })

    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))
    const again = JSON.parse((await run('watch', '--replay', dir, '--sites', 'fs/dcache.c:*', '--sites', 'mm/shmem.c:*', '--top', '3', '--json')).stdout)
    expect(again.sites).toEqual(summary.sites)
    // dd's folios and the files' inodes and dentries, in bytes and calls, a column each.
    const csv = readFileSync(join(dir, 'series.csv'), 'utf8').trim().split('\n')
    const header = csv[0]!.split(',')
    const column = (name: string) => csv.slice(1).map((row) => Number(row.split(',')[header.indexOf(name)]))
    expect(column(`${DALLOC} (bytes)`)).toEqual(DALLOC_BYTES)
    expect(column(`${DALLOC} (calls)`)).toEqual(DALLOC_CALLS)
    expect(column('mm/shmem.c:1920 func:shmem_alloc_folio (calls)')).toEqual([679, 679, 66215])
    const chart = readFileSync(join(dir, 'chart.html'), 'utf8')
    expect(chart).toContain(`class="site" data-site="${DALLOC}" data-peak-bytes="${DALLOC_BYTES[2]}"`)
    // The first and last samples as allocinfo, for top and diff.
    const diff = JSON.parse((await run('diff', join(dir, 'start.allocinfo'), join(dir, 'end.allocinfo'), '--sites', 'func:__d_alloc', '--json')).stdout)
    expect(diff.selected).toEqual({ bytes: DALLOC_BYTES[2]! - DALLOC_BYTES[0]!, calls: DALLOC_CALLS[2]! - DALLOC_CALLS[0]! })
  })

  it('names AllocInfoUnavailableError, before any sample, where the kernel does not count call sites', async () => {
    // The dd capture has no allocinfo: a kernel built without CONFIG_MEM_ALLOC_PROFILING.
    const notBuilt = await rejection(runWatch({ target: { kind: 'replay', dir: CAPTURE }, steps: ['before', 'after'], intervalMs: 1000, top: 3, sites: { sites: ['**'] } }))
    expect(notBuilt).toBeInstanceOf(AllocInfoUnavailableError)
    expect(notBuilt).toMatchObject({ code: 'E_ALLOCINFO_OFF', reason: 'not-built' })
    // The same capture with vm.mem_profiling at 0: allocinfo is there, but its numbers stand still.
    const off = tempDir()
    cpSync(ALLOCINFO, off, { recursive: true })
    writeFileSync(join(off, 'before.mem_profiling'), '0\n')
    const error = await rejection(runWatch({ target: { kind: 'replay', dir: off }, steps: [...STEPS], intervalMs: 1000, top: 3, alerts: [parseAlert('sites=fs/*,max=1MiB')] }))
    expect(error).toMatchObject({ code: 'E_ALLOCINFO_OFF', reason: 'off' })
    // Stacks alone still watch there.
    expect((await runWatch({ target: { kind: 'replay', dir: off }, steps: [...STEPS], intervalMs: 1000, top: 3 })).report.sites).toBeUndefined()
    const cli = await run('watch', '--replay', CAPTURE, '--steps', 'before,after', '--sites', 'fs/*')
    expect(cli.code).toBe(1)
    expect(cli.stderr).toContain('call sites need /proc/allocinfo, and this kernel was built without CONFIG_MEM_ALLOC_PROFILING')
  })

  it('exits 2 on a bad --sites pattern', async () => {
    const { code, stderr } = await run('watch', ...REPLAY, '--sites', '!')
    expect(code).toBe(2)
    expect(stderr).toContain('usage:')
  })
})
