import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { CAPTURE, DD_HANDLE, tempDir } from '../helpers.js'

async function run(...argv: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await main(argv, (t) => (stdout += `${t}\n`), (t) => (stderr += `${t}\n`))
  return { code, stdout, stderr }
}

const at = (name: string) => join(CAPTURE, name)

describe('page-budget diff', () => {
  it('selects the shmem write stack: +65536 pages (256 MiB)', async () => {
    const { code, stdout } = await run('diff', at('before.show_handles'), at('after.show_handles'), '--stacks', at('after.show_stacks_handles'), '--frames', 'shmem_*', '--frames', 'vfs_write', '--json')
    expect(code).toBe(0)
    const json = JSON.parse(stdout)
    expect(json.selected).toEqual({ pages: 65536, bytes: 256 * 2 ** 20 })
    expect(json.rows).toHaveLength(1)
    expect(json.rows[0]).toMatchObject({ handle: DD_HANDLE, before: 0, after: 65536, delta: 65536 })
    expect(json.rows[0].frames).toContain('vfs_write+0x108/0x166')
    expect(json.totalPages).toBe(65694)
  })
  it('sees the pages freed after rm', async () => {
    const { stdout } = await run('diff', at('after.show_handles'), at('freed.show_handles'), '--stacks', at('after.show_stacks_handles'), '--frames', 'shmem_*', '--frames', 'vfs_write', '--json')
    expect(JSON.parse(stdout).selected.pages).toBe(-65536)
  })
  it('prints a table', async () => {
    const { stdout } = await run('diff', at('before.show_handles'), at('after.show_handles'), '--stacks', at('after.show_stacks_handles'), '--frames', 'shmem_*', '--frames', 'vfs_write')
    expect(stdout).toMatchInlineSnapshot(`
      "shmem_* & vfs_write: 65536 pages (256 MiB) (all stacks: 65694 pages (256.62 MiB))

       handle  before  after  delta  stack
      1572869       0  65536  65536  … < shmem_get_folio_gfp.constprop.0 < shmem_get_folio < shmem_write_begin < generic_perform_write < shmem_file_write_iter < vfs_write < ksys_write < …
      "
    `)
  })
  it('exits 2 with usage on bad arguments', async () => {
    const missingStacks = await run('diff', at('before.show_handles'), at('after.show_handles'))
    expect(missingStacks.code).toBe(2)
    expect(missingStacks.stderr).toContain('--stacks')
    expect((await run('diff', at('before.show_handles'))).code).toBe(2)
    expect((await run('diff', '--bogus')).code).toBe(2)
    expect((await run('frobnicate')).code).toBe(2)
    expect((await run()).stderr).toContain('usage:')
  })
  it('exits 1 with the parse error on bad input', async () => {
    const bad = join(tempDir(), 'bad.show_handles')
    writeFileSync(bad, 'handle: 12\nnr_base_pages: many\n\n')
    const result = await run('diff', bad, at('after.show_handles'), '--stacks', at('after.show_stacks_handles'))
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`${bad}:2`)
    expect((await run('diff', '/nonexistent', at('after.show_handles'), '--stacks', 'x')).code).toBe(1)
  })
})

describe('page-budget top', () => {
  it('counts dd in the per-page file by comm, order-weighted: 65688 pages', async () => {
    const { code, stdout } = await run('top', at('after.page_owner.gz'), '--by', 'comm', '--json')
    expect(code).toBe(0)
    const json = JSON.parse(stdout)
    const dd = json.rows.find((row: { key: string }) => row.key === 'dd')
    expect(dd).toMatchObject({ pages: 65688, bytes: 65688 * 4096 })
    expect(json.rows.map((r: { pages: number }) => r.pages)).toEqual([...json.rows.map((r: { pages: number }) => r.pages)].sort((a, b) => b - a))
  })
  it('agrees per stack with an independent count (awk) over the whole file', async () => {
    const perPage = JSON.parse((await run('top', at('after.page_owner.gz'), '--json', '--limit', '100000')).stdout)
    // awk, as the seed does it: 2^order per record, keyed by the record's frame lines.
    const awk = execFileSync('sh', ['-c', `zcat '${at('after.page_owner.gz')}' | awk '
      /^Page allocated via order/ { split($5, o, ","); order = o[1]; key = ""; next }
      /^ / { sub(/^ /, ""); key = key $0 "|"; next }
      /^$/ { if (key != "") pages[key] += 2 ^ order; key = "" }
      END { if (key != "") pages[key] += 2 ^ order; for (k in pages) print pages[k] "\t" k }'`], { encoding: 'utf8', maxBuffer: 1 << 26 })
    const expected = new Map(awk.trim().split('\n').map((line) => {
      const [pages, key] = line.split('\t') as [string, string]
      return [key, Number(pages)]
    }))
    const ours = new Map(perPage.rows.map((r: { frames: string[]; pages: number }) => [`${r.frames.join('|')}|`, r.pages]))
    expect(ours.size).toBe(expected.size)
    expect(ours).toEqual(expected)
    expect(perPage.totalPages).toBe([...expected.values()].reduce((a, b) => a + b, 0))
  })
  it('ranks show_handles by handle, with frames from --stacks', async () => {
    const { stdout } = await run('top', at('after.show_handles'), '--stacks', at('after.show_stacks_handles'), '--limit', '1', '--json')
    const json = JSON.parse(stdout)
    expect(json.rows[0]).toMatchObject({ key: String(DD_HANDLE), pages: 65536 })
    expect(json.rows[0].percent).toBeGreaterThan(50)
  })
  it('needs the per-page file to group by process', async () => {
    const result = await run('top', at('after.show_handles'), '--by', 'comm')
    expect(result.code).toBe(2)
    expect((await run('top', at('after.show_handles'), '--limit', 'x')).code).toBe(2)
  })
})

describe('the installed bin', () => {
  it('runs from dist', () => {
    const out = execFileSync(process.execPath, ['dist/cli/bin.js', 'top', at('after.show_handles'), '--limit', '1', '--json'], { encoding: 'utf8' })
    expect(JSON.parse(out).rows[0].pages).toBe(65536)
  })
})
