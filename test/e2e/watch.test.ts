import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { beforeAll, describe, expect, it } from 'vitest'
import { findBuiltKernel } from '../../src/kernel-build/build.js'
import { QEMU } from '../../src/target/qemu/qemu.js'

/**
 * `page-budget record --qemu --exec ...` on the real test kernel: the guest writes 64 MiB to
 * tmpfs, waits, deletes it, and the shmem write stack must rise and fall in the series and in
 * the chart as headless Chromium renders it; and `--sites` on a guest creating 20,000 files sees
 * fs/dcache.c's __d_alloc grow by a dentry each in /proc/allocinfo. Skipped without a kernel or
 * QEMU, except under CI=true, where the missing piece fails the run; Chromium must be installed
 * (scripts/setup.mjs).
 */
const kernel = process.env.PAGE_BUDGET_KERNEL ?? findBuiltKernel()
const hasQemu = (await execa(QEMU, ['--version'], { reject: false })).exitCode === 0
/** The built CLI (npm test and test:unit build it first), run as a real process. */
const BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url))
const MiB64 = 16384

/** Measures every curve as laid out: its points in CSS pixels and its bounding box. */
const PROBE = `<script>
const curves = [...document.querySelectorAll('polyline.stack')].map((line) => {
  const m = line.getScreenCTM()
  const points = [...line.points].map((p) => Math.round(p.x * m.a + m.e) + ',' + Math.round(p.y * m.d + m.f))
  const box = line.getBBox()
  return { handle: Number(line.dataset.handle), label: line.dataset.label, stroke: getComputedStyle(line).stroke, height: box.height, points }
})
const pre = document.createElement('pre')
pre.id = 'measured'
pre.textContent = JSON.stringify(curves)
document.body.append(pre)
</script>`

function chromium(args: string[]) {
  const profile = mkdtempSync(join(tmpdir(), 'page-budget-chromium-'))
  return execa('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`, ...args], { timeout: 60_000 })
}

describe.skipIf(!(kernel && hasQemu) && !process.env.CI)('watch on the QEMU target', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'page-budget-watch-e2e-')), 'rec')
  let result: Awaited<ReturnType<typeof execa>>

  beforeAll(async () => {
    // 3 s at the peak: at least 3 samples of 250 ms even when a loaded host takes 700 ms a sample.
    const workload = 'dd if=/dev/zero of=/tmpfs/watched bs=1M count=64 2>/dev/null && sleep 3 && rm /tmpfs/watched && sleep 2'
    result = await execa('node', [BIN, 'record', dir, '--target', JSON.stringify({ kind: 'qemu', ...(kernel && { kernel }) }), '--interval', '250ms', '--exec', workload, '--frames', 'shmem_*', '--top', '5'], { reject: false })
  }, 240_000)

  it('sees the shmem write stack rise by 64 MiB and fall back in the series', () => {
    expect(result.exitCode, String(result.stderr)).toBe(0)
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))
    expect(summary).toMatchObject({ stopped: 'exec-done', path: 'show_handles', pageSize: 4096 })
    const dd = summary.top[0]
    expect(dd.max - dd.first).toBeGreaterThanOrEqual(MiB64)
    expect(dd.max - dd.last).toBeGreaterThanOrEqual(MiB64)
    expect(dd.frames.join('\n')).toMatch(/vfs_write|ksys_write/)
    expect(dd.label).toMatch(/^shmem_/)

    // The CSV column of that stack: low, then 64 MiB higher for a while, then low again.
    const rows = readFileSync(join(dir, 'series.csv'), 'utf8').trim().split('\n')
    const column = rows[0]!.split(',').findIndex((cell) => cell.endsWith(`(${dd.handle})`))
    const pages = rows.slice(1).map((row) => Number(row.split(',')[column]))
    const peak = pages.indexOf(dd.max)
    expect(pages.filter((p) => p - dd.first >= MiB64).length).toBeGreaterThanOrEqual(3)
    expect(Math.min(...pages.slice(0, peak))).toBeLessThan(dd.max - MiB64 + 1)
    expect(Math.min(...pages.slice(peak))).toBeLessThan(dd.max - MiB64 + 1)
  })

  it('draws that rise and fall in the chart, as headless Chromium renders it', async () => {
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))
    const probe = join(dir, 'probe.html')
    writeFileSync(probe, readFileSync(join(dir, 'chart.html'), 'utf8').replace('</body>', `${PROBE}</body>`))
    const dom = await chromium(['--virtual-time-budget=5000', '--dump-dom', `file://${probe}`])
    const measured = JSON.parse(/<pre id="measured">(.*?)<\/pre>/s.exec(dom.stdout)![1]!.replaceAll('&quot;', '"'))
    const line = measured.find((c: { handle: number }) => c.handle === summary.top[0].handle)
    expect(line.label).toBe(summary.top[0].label)
    expect(line.stroke).toBe('rgb(0, 114, 178)')
    const ys = line.points.map((p: string) => Number(p.split(',')[1]))
    const top = Math.min(...ys)
    const peak = ys.indexOf(top)
    // Screen y grows downwards: the curve climbs from its start to the peak and drops after it.
    expect(line.height).toBeGreaterThan(100)
    expect(ys[0] - top).toBeGreaterThan(100)
    expect(ys.at(-1) - top).toBeGreaterThan(100)
    expect(peak).toBeGreaterThan(0)
    expect(peak).toBeLessThan(ys.length - 1)

    const png = join(dir, 'chart.png')
    await chromium(['--window-size=1000,700', `--screenshot=${png}`, `file://${join(dir, 'chart.html')}`])
    expect(statSync(png).size).toBeGreaterThan(10_000)
  }, 120_000)
})

/** What 20,000 files cost at __d_alloc: a 192-byte dentry each (test/e2e/allocinfo.test.ts measured 50,001 for 50,000 files and their directory). */
const FILES = 20_000
const DENTRY = 192

describe.skipIf(!(kernel && hasQemu) && !process.env.CI)('watch --sites on the QEMU target', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'page-budget-watch-sites-e2e-')), 'rec')
  let result: Awaited<ReturnType<typeof execa>>

  beforeAll(async () => {
    // The sleeps give the series samples before and after the files, at 250 ms even on a loaded host.
    const workload = `sleep 1 && mkdir /tmpfs/many && cd /tmpfs/many && seq 1 ${FILES} | xargs touch && sleep 2`
    result = await execa('node', [BIN, 'record', dir, '--target', JSON.stringify({ kind: 'qemu', ...(kernel && { kernel }) }), '--interval', '250ms', '--exec', workload, '--sites', 'fs/dcache.c:*', '--alert', 'sites=func:__d_alloc,max=2MiB', '--top', '3'], { reject: false })
  }, 240_000)

  it('sees __d_alloc grow by a dentry per file in bytes and calls, and the alert on it cross', () => {
    // 3: the alert crossed (the dentries at boot are well under 2 MiB, 20,000 more are 3.7 MiB).
    expect(result.exitCode, String(result.stderr)).toBe(3)
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))
    expect(summary).toMatchObject({ stopped: 'exec-done', sites: { selector: 'fs/dcache.c:*' } })
    const dentries = summary.sites.top[0]
    expect(dentries.site).toMatch(/^fs\/dcache\.c:\d+ func:__d_alloc$/)
    expect(dentries.first).toBeLessThan(2 * 1024 * 1024)
    expect(dentries.last - dentries.first).toBeGreaterThanOrEqual(FILES * DENTRY)
    expect(dentries.calls.last - dentries.calls.first).toBeGreaterThanOrEqual(FILES)
    // Nothing else in the guest makes thousands of dentries meanwhile: within 5% of one per file.
    expect(dentries.calls.last - dentries.calls.first).toBeLessThan(FILES * 1.05)

    const crossed = summary.alerts.find((a: { kind: string }) => a.kind === 'crossed')
    expect(crossed).toMatchObject({ alert: 'sites=func:__d_alloc,max=2MiB', source: 'sites', limitBytes: 2 * 1024 * 1024 })
    expect(crossed.bytes).toBeGreaterThan(2 * 1024 * 1024)
    expect(crossed.top[0].site).toBe(dentries.site)
    expect(String(result.stdout)).toContain(`ALERT sites=func:__d_alloc,max=2MiB: went over 2 MiB at`)

    // The site's bytes column: flat before the files (the workload sleeps first), then up by 20,000 dentries.
    const rows = readFileSync(join(dir, 'series.csv'), 'utf8').trim().split('\n')
    const column = rows[0]!.split(',').indexOf(`${dentries.site} (bytes)`)
    expect(column).toBeGreaterThan(0)
    const bytes = rows.slice(1).map((row) => Number(row.split(',')[column]))
    expect(bytes[1]! - bytes[0]!).toBeLessThan(FILES * DENTRY / 10)
    expect(bytes.at(-1)! - bytes[0]!).toBeGreaterThanOrEqual(FILES * DENTRY)
  })

  it('replays the recording with the same call-site series', async () => {
    const replayed = await execa('node', [BIN, 'watch', '--replay', dir, '--sites', 'fs/dcache.c:*', '--top', '3', '--json'], { reject: false })
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))
    expect(replayed.exitCode, String(replayed.stderr)).toBe(0)
    const json = JSON.parse(String(replayed.stdout))
    expect(json.samples).toBe(summary.samples)
    expect(json.sites).toEqual(summary.sites)
  })
})
