import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { parseShowStacksHandles } from '../../src/format/stacks.js'
import { openFile } from '../../src/format/file.js'
import { ReplayTarget } from '../../src/target/replay.js'
import { readText } from '../../src/target/read.js'
import { fakeDebugfs } from '../fake-kernel.js'
import { CAPTURE, DD_HANDLE, tempDir } from '../helpers.js'

async function run(...argv: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await main(argv, (t) => (stdout += `${t}\n`), (t) => (stderr += `${t}\n`))
  return { code, stdout, stderr }
}

const STEPS = ['--replay', CAPTURE, '--steps', 'before,after,freed']
/** The built CLI (npm test and test:unit build it first), run as a real process. */
const BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url))

describe('page-budget watch over the recorded capture', () => {
  it('sees the dd stack rise by 65536 pages and fall back, resolving only what it shows', async () => {
    const { code, stdout } = await run('watch', ...STEPS, '--json', '--top', '3')
    expect(code).toBe(0)
    const json = JSON.parse(stdout)
    expect(json).toMatchObject({ samples: 3, stopped: 'replay-end', kernel: '7.2.13', path: 'show_handles', totalPages: { first: 1121, max: 66815 } })
    expect(json.top).toHaveLength(3)
    expect(json.top[0]).toMatchObject({ handle: DD_HANDLE, first: 0, max: 65536, last: 0, peakAtMs: 1000, label: 'shmem_get_folio_gfp … ksys_write' })
    expect(json.top[0].frames).toContain('vfs_write+0x108/0x166')
  })
  it('prints a line per sample off a terminal, and the top stacks at the end', async () => {
    const { stdout } = await run('watch', ...STEPS, '--frames', 'shmem_*', '--frames', 'vfs_write')
    const lines = stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^0 s {2}sample 1 {2}all stacks 4\.38 MiB \(0 pages since start\); top: $/)
    expect(lines[1]).toContain('top: shmem_get_folio_gfp … ksys_write 256 MiB (+65536)')
    expect(lines[2]).toMatch(/^2 s {2}sample 3 .*; top: shmem_get_folio_gfp … ksys_write 0 B \(0\)$|^2 s {2}sample 3 .*; top: $/)
    expect(stdout).toContain('3 samples over 2 s (stopped: replay-end)')
    expect(stdout).toMatch(/1572869 +0 +0 +0 +65536 +256 MiB +shmem_get_folio_gfp … ksys_write/)
  })
  it('exits 3 and says when an alert crossed, with the wall-clock time', async () => {
    const { code, stdout } = await run('watch', ...STEPS, '--alert', 'frames=shmem_*,max=128MiB')
    expect(code).toBe(3)
    // Once as it happens (time since start), once at the end with the wall-clock time.
    expect(stdout).toContain('ALERT frames=shmem_*,max=128MiB: went over 128 MiB at 1 s (sample 2): 258.49 MiB; largest: shmem_get_folio_gfp … ksys_write (handle 1572869) 256 MiB')
    expect(stdout).toMatch(/ALERT frames=shmem_\*,max=128MiB: went over 128 MiB at 1 s \d{4}-\d\d-\d\dT[\d:.]+Z \(sample 2\)/)
    expect(stdout).toMatch(/came back under 128 MiB at 2 s/)
    expect((await run('watch', ...STEPS, '--alert', 'frames=shmem_*,max=512MiB')).code).toBe(0)
  })
  it('stops at the first crossing with --stop-on-alert', async () => {
    const { code, stdout } = await run('watch', ...STEPS, '--json', '--alert', 'frames=shmem_*,max=128MiB', '--stop-on-alert')
    expect(code).toBe(3)
    expect(JSON.parse(stdout)).toMatchObject({ samples: 2, stopped: 'alert' })
  })
  it('exits 2 with usage on bad arguments', async () => {
    for (const argv of [
      ['--interval', 'soon'],
      ['--alert', 'frames=shmem_*'],
      ['--samples', '0'],
      ['--qemu', '--replay', CAPTURE],
      ['--target', '{"kind":"moon"}'],
      ['--target', 'qemu'],
      ['--duration', '1s', '--samples', '3'],
      ['--steps', 'a'],
      ['extra'],
    ]) {
      const result = await run('watch', ...argv)
      expect(result.code, argv.join(' ')).toBe(2)
      expect(result.stderr).toContain('usage:')
    }
    expect((await run('record')).code).toBe(2)
  })
  it('refuses --exec on a replay, which has nothing to run it on', async () => {
    const result = await run('watch', ...STEPS, '--exec', 'true')
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('cannot run --exec')
  })
})

describe('page-budget record', () => {
  it('writes a recording that top, diff and the replay target read back', async () => {
    const dir = join(tempDir(), 'rec')
    expect((await run('record', dir, ...STEPS, '--top', '2')).code).toBe(0)
    // Only the stacks the output names are kept, each as the kernel printed it.
    const stacks = await parseShowStacksHandles(openFile(join(dir, 'show_stacks_handles')), 'show_stacks_handles')
    expect(stacks.has(DD_HANDLE)).toBe(true)
    expect(stacks.size).toBeLessThan(40)
    expect((await readText(new ReplayTarget({ dir }), 'boot_id')).trim()).toBe(readFileSync(join(CAPTURE, 'boot_id'), 'utf8').trim())

    const top = JSON.parse((await run('top', dir, '--json', '--limit', '1')).stdout)
    expect(top.rows[0]).toMatchObject({ key: '21495811', pages: 480 })
    expect(top.rows[0].frames.length).toBeGreaterThan(0)
    const diff = JSON.parse((await run('diff', dir, '--json')).stdout)
    expect(diff.totalPages).toBe(1110 - 1121)
    expect(diff.rows.every((row: { frames: string[] }) => row.frames.length > 0)).toBe(true)

    const replay = new ReplayTarget({ dir })
    expect(replay.steps().slice(0, 3)).toEqual(['0', '1', '2'])
    replay.step('1')
    expect(await readText(replay, 'show_handles')).toContain(`handle: ${DD_HANDLE}\nnr_base_pages: 65536\n`)

    // Replaying the recording gives the same series at the recorded times.
    const again = JSON.parse((await run('watch', '--replay', dir, '--json')).stdout)
    expect(again).toMatchObject({ samples: 3, durationMs: 2000, totalPages: { first: 1121, last: 1110, max: 66815 } })
    expect(again.top[0]).toMatchObject({ handle: DD_HANDLE, max: 65536, last: 0 })

    const csv = readFileSync(join(dir, 'series.csv'), 'utf8').trim().split('\n')
    expect(csv[0]).toBe('seconds,total_pages,shmem_get_folio_gfp … ksys_write (1572869),shmem_get_folio_gfp … flush_buffer (21495811)')
    expect(csv.slice(1)).toEqual(['0,1121,0,480', '1,66815,65536,480', '2,1110,0,480'])
    const chart = readFileSync(join(dir, 'chart.html'), 'utf8')
    expect(chart).toContain(`data-handle="${DD_HANDLE}" data-label="shmem_get_folio_gfp … ksys_write" data-peak-pages="65536"`)
    expect(chart).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/)
  })

  it('names what a recording kept, and the rest as not in it; the same stacks file named by --stacks must know every handle', async () => {
    const dir = join(tempDir(), 'rec')
    expect((await run('record', dir, ...STEPS, '--top', '2')).code).toBe(0)
    const { code, stdout } = await run('top', dir, '--limit', '40')
    expect(code).toBe(0)
    expect(stdout).toMatch(/^ *21495811 +480 .* shmem_get_folio_gfp/m)
    expect(stdout).toContain('(not in the recording)')
    const strict = await run('top', join(dir, 'end.show_handles'), '--stacks', join(dir, 'show_stacks_handles'))
    expect(strict.code).toBe(1)
    expect(strict.stderr).toMatch(/^page-budget top: no stack for \d+ handles .* in .*show_stacks_handles, read just now\n {2}hint: /)
  })

  it('samples a live debugfs at its interval', async () => {
    const debugfs = fakeDebugfs()
    const { code, stdout } = await run('watch', '--debugfs', debugfs, '--samples', '3', '--interval', '100ms', '--json')
    expect(code).toBe(0)
    const json = JSON.parse(stdout)
    expect(json).toMatchObject({ samples: 3, stopped: 'samples', target: `local ${debugfs}` })
    expect(json.durationMs).toBeGreaterThanOrEqual(200)
    expect(json.durationMs).toBeLessThan(1500)
  })

  it('leaves a complete, readable recording when interrupted with SIGINT', async () => {
    const debugfs = fakeDebugfs()
    const handles = join(debugfs, 'page_owner_stacks', 'show_handles')
    const dir = join(tempDir(), 'rec')
    const child = execa('node', [BIN, 'watch', '--debugfs', debugfs, '--interval', '100ms', '--out', dir], { reject: false })
    let lines = 0
    let swapped = false
    const enough = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        lines += chunk.toString().split('\n').length - 1
        if (lines >= 2 && !swapped) {
          // The kernel's counts move: the dd stack is freed (renamed in whole, as a read sees a file).
          swapped = true
          writeFileSync(`${handles}.new`, readFileSync(join(CAPTURE, 'freed.show_handles')))
          renameSync(`${handles}.new`, handles)
        }
        if (lines >= 5) resolve()
      })
    })
    await enough
    child.kill('SIGINT')
    const result = await child
    expect(result.exitCode).toBe(0)
    expect(result.stderr).toContain('stopping; writing what was collected')
    for (const file of ['series.json', 'summary.json', 'series.csv', 'chart.html', 'show_stacks_handles', 'start.show_handles', 'end.show_handles', 'boot_id', 'version']) {
      expect(existsSync(join(dir, file)), file).toBe(true)
    }
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))
    expect(summary.stopped).toBe('interrupted')
    expect(summary.samples).toBeGreaterThanOrEqual(5)
    expect(summary.top.find((s: { handle: number }) => s.handle === DD_HANDLE)).toMatchObject({ first: 65536, last: 0, min: 0 })
    const replayed = JSON.parse((await run('watch', '--replay', dir, '--json')).stdout)
    expect(replayed.samples).toBe(summary.samples)
    expect(replayed.totalPages).toEqual(summary.totalPages)
  }, 30_000)
})
