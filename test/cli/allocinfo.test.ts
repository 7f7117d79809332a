import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'

/** Real /proc/allocinfo from the QEMU test kernel: before, after 50,000 empty files in tmpfs, after dd (scripts/capture.mjs). */
const CAPTURE = fileURLToPath(new URL('../fixtures/linux-7.2.13-qemu-allocinfo/', import.meta.url))
const at = (name: string) => join(CAPTURE, name)

async function run(...argv: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await main(argv, (t) => (stdout += `${t}\n`), (t) => (stderr += `${t}\n`))
  return { code, stdout, stderr }
}

/** Bytes and calls per tag, and the totals, counted by awk from the same file: the tag is the line after its two numbers, without ` accurate:no`. */
function awkCount(file: string): { bytes: number; calls: number; sites: Map<string, [number, number]> } {
  const out = execFileSync('awk', [
    `NR > 2 { bytes += $1; calls += $2; b = $1; c = $2; sub(/^ *-?[0-9]+ +[0-9]+ /, ""); sub(/( accurate:no)? $/, ""); sb[$0] += b; sc[$0] += c }
     END { printf "%d\\t%d\\n", bytes, calls; for (k in sb) printf "%s\\t%d\\t%d\\n", k, sb[k], sc[k] }`,
    file,
  ], { encoding: 'utf8' })
  const [totals, ...rows] = out.trim().split('\n')
  const [bytes, calls] = totals!.split('\t').map(Number) as [number, number]
  return { bytes, calls, sites: new Map(rows.map((row) => { const [key, b, c] = row.split('\t'); return [key!, [Number(b), Number(c)]] })) }
}

describe('page-budget top on /proc/allocinfo', () => {
  it('agrees with an independent count (awk) over the whole real capture', async () => {
    const { code, stdout } = await run('top', at('files.allocinfo'), '--json', '--limit', '100000')
    expect(code).toBe(0)
    const json = JSON.parse(stdout) as { format: string; totalBytes: number; totalCalls: number; sites: number; rows: Array<{ key: string; bytes: number; calls: number }> }
    const awk = awkCount(at('files.allocinfo'))
    expect(json).toMatchObject({ format: 'allocinfo', by: 'site', totalBytes: awk.bytes, totalCalls: awk.calls, sites: awk.sites.size })
    expect(json.rows).toHaveLength(awk.sites.size)
    expect(new Map(json.rows.map((row) => [row.key, [row.bytes, row.calls]]))).toEqual(awk.sites)
    // Largest first; the 50,000 files' inodes and dentries are near the top.
    expect(json.rows.map((row) => row.bytes)).toEqual([...json.rows.map((row) => row.bytes)].sort((a, b) => b - a))
  })

  it('prints a table of the largest sites', async () => {
    const { code, stdout } = await run('top', at('files.allocinfo'), '--limit', '3')
    expect(code).toBe(0)
    expect(stdout).toMatch(/^site +bytes +size +calls +%$/m)
    expect(stdout).toMatch(/^total: [\d.]+ MiB in \d+ calls at \d+ call sites$/m)
  })

  it('refuses --by and --stacks, which are about stacks', async () => {
    expect((await run('top', at('files.allocinfo'), '--by', 'comm')).code).toBe(2)
  })
})

describe('page-budget diff on /proc/allocinfo', () => {
  it('the call sites of 50,000 files: a dentry and a shmem inode each', async () => {
    const { code, stdout } = await run('diff', at('before.allocinfo'), at('files.allocinfo'), '--sites', 'fs/dcache.c:*', '--sites', 'mm/shmem.c:*', '--json')
    expect(code).toBe(0)
    const json = JSON.parse(stdout) as { selector: string; selected: { bytes: number; calls: number }; rows: Array<{ site: string; calls: number }> }
    expect(json.selector).toBe('fs/dcache.c:* | mm/shmem.c:*')
    const calls = (fn: string) => json.rows.find((row) => row.site.endsWith(` func:${fn}`))?.calls
    expect(calls('__d_alloc')).toBeGreaterThanOrEqual(50_000)
    expect(calls('shmem_alloc_inode')).toBeGreaterThanOrEqual(50_000)
    // Same numbers as awk's counts of the two files.
    const [before, after] = [awkCount(at('before.allocinfo')), awkCount(at('files.allocinfo'))]
    for (const row of json.rows) expect(row.calls).toBe((after.sites.get(row.site)?.[1] ?? 0) - (before.sites.get(row.site)?.[1] ?? 0))
  })

  it('takes --sites only with allocinfo files, and not --frames with them', async () => {
    expect((await run('diff', at('before.allocinfo'), at('files.allocinfo'), '--frames', 'shmem_*')).code).toBe(2)
    expect((await run('diff', at('before.show_handles'), at('files.show_handles'), '--sites', 'fs/*')).code).toBe(2)
  })
})
