import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import '../../src/vitest/expect.js'
import { UsageError } from '../../src/errors.js'
import { bindTest, recordsOf, type TestIdentity } from '../../src/verdict/section.js'
import type { SessionOptions } from '../../src/session/options.js'
import { baselinePath, readBaselines, type BaselineFile } from '../../src/verdict/baseline-file.js'
import { captureSession } from '../session/replay-session.js'
import { matchers } from '../../src/verdict/matchers.js'
import { failure, plain, tempDir } from '../helpers.js'

const shmemWrite = { frames: ['shmem_*', 'vfs_write'] }

/** The dd capture after the workload, as a test in `dir/dd.test.ts` with the given update mode. */
async function ddTest(dir: string, updateBaselines: TestIdentity['updateBaselines'], options: SessionOptions = {}) {
  const { session, replay } = await captureSession(options)
  const pageOwner = await session.begin()
  bindTest(pageOwner, { file: join(dir, 'dd.test.ts'), title: ['tmpfs', 'dd'], updateBaselines })
  replay.step('after')
  return pageOwner
}


/** Rewrites the stored pages, as if the baseline had been recorded on a smaller workload. */
function storedPages(dir: string, pages: number): void {
  const path = baselinePath(join(dir, 'dd.test.ts'))
  const file = JSON.parse(readFileSync(path, 'utf8')) as BaselineFile
  const entry = file.tests['tmpfs > dd']!['shmem_* & vfs_write']!
  entry.pages = pages
  entry.stacks[0]!.pages = pages
  writeFileSync(path, JSON.stringify(file))
}

describe('toStayWithinBaseline', () => {
  it('records a missing baseline next to the test file, then passes against it', async () => {
    const dir = tempDir()
    const first = await ddTest(dir, 'new')
    await expect(first).toStayWithinBaseline(shmemWrite)
    expect(recordsOf(first)[0]!.baseline).toEqual({ pages: null, status: 'written' })
    const stored = await readBaselines(join(dir, '__page_budget__', 'dd.test.ts.json'))
    expect(stored.tests['tmpfs > dd']!['shmem_* & vfs_write']).toMatchObject({ pages: 65536, pageSize: 4096, kernel: '7.2.13' })

    const again = await ddTest(dir, 'none')
    await expect(again).toStayWithinBaseline(shmemWrite)
    expect(recordsOf(again)[0]!.baseline).toEqual({ pages: 65536, status: 'compared' })
  })

  it('fails when the pages grew past the tolerance, showing before/after and the stacks that grew', async () => {
    const dir = tempDir()
    await expect(await ddTest(dir, 'new')).toStayWithinBaseline(shmemWrite)
    storedPages(dir, 32768)
    const pageOwner = await ddTest(dir, 'new', { baseline: { tolerance: '5%' } })
    const message = await failure(expect(pageOwner).toStayWithinBaseline(shmemWrite))
    // The usual top stacks and comparison follow (see matchers.test.ts).
    expect(message.slice(0, message.indexOf('\n\nTop stacks')).replace(/\([^)]*__page_budget__[^)]*\)/, '(FILE)')).toMatchInlineSnapshot(`
      "expect(pageOwner).toStayWithinBaseline()

      Stacks:   shmem_* & vfs_write
      Expected: at most 32768 pages (128 MiB) (the baseline) with 1638.4 pages (6.4 MiB) tolerance
      Received: 65536 pages (256 MiB), 31129.6 pages (121.6 MiB) over

      Baseline: 32768 pages (128 MiB) recorded on 7.2.13 (FILE)
      Now:      65536 pages (256 MiB) (+100.0%)

      Stacks that grew since the baseline (1 of 1):
        +32768 pages (128 MiB) (32768 -> 65536), handle 1572869
            …
            shmem_get_folio_gfp.constprop.0
            shmem_get_folio
            shmem_write_begin
            generic_perform_write
            shmem_file_write_iter
            vfs_write
            ksys_write
            …"
    `)
    await expect(pageOwner).not.toStayWithinBaseline(shmemWrite)
    // Within a tolerance wide enough, the same growth passes; .not then fails.
    await expect(pageOwner).toStayWithinBaseline({ ...shmemWrite, tolerance: '100%' })
    expect(await failure(expect(pageOwner).not.toStayWithinBaseline({ ...shmemWrite, tolerance: '100%' }))).toContain(
      'Expected: not at most 32768 pages (128 MiB) (the baseline) with 32768 pages (128 MiB) tolerance',
    )
  })

  it('re-records every baseline with the update flag', async () => {
    const dir = tempDir()
    await expect(await ddTest(dir, 'new')).toStayWithinBaseline(shmemWrite)
    storedPages(dir, 32768)
    await expect(await ddTest(dir, 'new')).not.toStayWithinBaseline(shmemWrite)
    const updated = await ddTest(dir, 'all')
    await expect(updated).toStayWithinBaseline(shmemWrite)
    expect(recordsOf(updated)[0]!.baseline).toEqual({ pages: 32768, status: 'updated' })
    await expect(await ddTest(dir, 'none')).toStayWithinBaseline(shmemWrite)
  })

  it("re-records only a baseline that no longer holds in 'changed' mode", async () => {
    const dir = tempDir()
    const first = await ddTest(dir, 'new')
    await expect(first).toStayWithinBaseline(shmemWrite)
    await expect(first).toStayWithinBaseline({ ...shmemWrite, name: 'held' })
    storedPages(dir, 32768)
    const changed = await ddTest(dir, 'changed')
    await expect(changed).toStayWithinBaseline(shmemWrite)
    await expect(changed).toStayWithinBaseline({ ...shmemWrite, name: 'held' })
    expect(recordsOf(changed).map((r) => r.baseline)).toEqual([{ pages: 32768, status: 'updated' }, { pages: 65536, status: 'compared' }])
    // `.not` only ever compares: the re-recorded baseline holds, so .not fails.
    expect(await failure(expect(changed).not.toStayWithinBaseline(shmemWrite))).toContain('Expected: not at most 65536 pages (256 MiB) (the baseline)')
    await expect(await ddTest(dir, 'none')).toStayWithinBaseline(shmemWrite)
  })

  it("writes a missing baseline and fails in 'new-fails' mode without ending the test, then compares against it", async () => {
    const dir = tempDir()
    const first = await ddTest(dir, 'new-fails')
    // Playwright's way for a missing snapshot: pass, with a soft error that fails the test later.
    const result = await matchers.toStayWithinBaseline.call({ isNot: false }, first, shmemWrite)
    expect(result.pass).toBe(true)
    const message = plain(result.softError!.message)
    expect(plain(result.message())).toBe(message)
    expect(message.slice(0, message.indexOf('\n\nTop stacks')).replaceAll(baselinePath(join(dir, 'dd.test.ts')), 'FILE')).toMatchInlineSnapshot(`
      "expect(pageOwner).toStayWithinBaseline()

      Stacks:   shmem_* & vfs_write
      Expected: a stored baseline 'shmem_* & vfs_write' (none in FILE)
      Received: 65536 pages (256 MiB)

      Recorded now in FILE. A run that writes a missing baseline fails, so that none passes
      without comparing: run again to compare, or record without failing (playwright test --update-snapshots=missing)."
    `)
    expect(recordsOf(first)[0]!).toMatchObject({ held: false, baseline: { pages: null, status: 'written' } })
    const again = await ddTest(dir, 'new-fails')
    await expect(again).toStayWithinBaseline(shmemWrite)
    expect(recordsOf(again)[0]!.baseline).toEqual({ pages: 65536, status: 'compared' })
  })

  it('keeps one entry per selector, or per name', async () => {
    const dir = tempDir()
    const pageOwner = await ddTest(dir, 'new')
    await expect(pageOwner).toStayWithinBaseline(shmemWrite)
    await expect(pageOwner).toStayWithinBaseline({ name: 'everything' })
    const stored = await readBaselines(baselinePath(join(dir, 'dd.test.ts')))
    expect(Object.keys(stored.tests['tmpfs > dd']!)).toEqual(['everything', 'shmem_* & vfs_write'])
    expect(stored.tests['tmpfs > dd']!.everything!.pages).toBe(65694)
  })

  it('throws, instead of failing, when there is nothing to compare with', async () => {
    const dir = tempDir()
    await expect(expect(await ddTest(dir, 'none')).toStayWithinBaseline(shmemWrite)).rejects.toThrow(UsageError)
    const error = await expect(await ddTest(dir, 'new')).not.toStayWithinBaseline(shmemWrite).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).message).toContain(`no baseline 'shmem_* & vfs_write' for 'tmpfs > dd' in ${baselinePath(join(dir, 'dd.test.ts'))}`)
    expect((error as UsageError).hint).toBe('record it with the update flag (vitest -u, playwright test --update-snapshots) and commit the __page_budget__ file')
  })

  it('throws on a section no test fixture made, and on a bad tolerance', async () => {
    const { session } = await captureSession()
    const pageOwner = await session.begin()
    await expect(expect(pageOwner).toStayWithinBaseline()).rejects.toThrow(/needs to know which test is running/)
    const named = await ddTest(tempDir(), 'new')
    await expect(expect(named).toStayWithinBaseline({ tolerance: '5 KB' })).rejects.toThrow(UsageError)
  })

  it('refuses a baseline file that is not one', async () => {
    const dir = tempDir()
    const pageOwner = await ddTest(dir, 'new')
    await expect(pageOwner).toStayWithinBaseline(shmemWrite)
    writeFileSync(baselinePath(join(dir, 'dd.test.ts')), '{"schema":"page-budget-baseline","version":1,"tests":{"x":3}}')
    await expect(expect(pageOwner).toStayWithinBaseline(shmemWrite)).rejects.toThrow(/not a page-budget baseline file: tests\.x/)
  })
})
