import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { parseReport } from '../../src/report/read.js'
import { tempDir } from '../helpers.js'
import { atMost, ddTest, reportFiles, reportOf } from './fixtures.js'

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(argv, (text) => out.push(text), (text) => err.push(text))
  return { code, out: out.join('\n'), err: err.join('\n') }
}

const passing = reportOf([ddTest('dd', [atMost(258, 256, 5)])])
const failing = reportOf([ddTest('dd', [atMost(200, 256, 6)])])
const grown = reportOf([ddTest('dd', [atMost(1024, 300, 5)])])

describe('page-budget check', () => {
  it('exits 0 and prints the summary when every budget held', async () => {
    const { report } = reportFiles({ report: passing })
    const { code, out } = await cli('check', report!)
    expect(code).toBe(0)
    expect(out).toContain('tmpfs > dd  shmem_*   <= 258 MiB')
    expect(out.split('\n').at(-1)).toBe('page-budget check: 1 assertion: no breach')
  })

  it('exits 1 on a failed budget, with a GitHub annotation at the assertion', async () => {
    const { report } = reportFiles({ report: failing })
    const text = await cli('check', report!)
    expect(text.code).toBe(1)
    expect(text.out).toContain("BREACH test/dd.test.ts:6: tmpfs > dd: toAllocateAtMost('200 MiB') on shmem_*: expected at most 51200 pages (200 MiB), measured 256 MiB")
    const github = await cli('check', report!, '--format', 'github')
    expect(github.code).toBe(1)
    expect(github.out.split('\n').filter((line) => line.startsWith('::'))).toEqual([
      "::error file=test/dd.test.ts,line=6,title=page-budget::tmpfs > dd: toAllocateAtMost('200 MiB') on shmem_*: expected at most 51200 pages (200 MiB), measured 256 MiB",
    ])
  })

  it('exits 1 when pages grew against a baseline report by more than --max-increase', async () => {
    const { report, baseline } = reportFiles({ report: grown, baseline: passing })
    const strict = await cli('check', report!, '--baseline', baseline!, '--format', 'github')
    expect(strict.code).toBe(1)
    expect(strict.out).toContain('::error file=test/dd.test.ts,line=5,title=page-budget::')
    // Annotation data escapes % as %25, as the runner expects.
    expect(strict.out).toContain('256 MiB -> 300 MiB (+17.2%25), more than the allowed increase of 12.8 MiB')
    expect(strict.out.split('\n').at(-1)).toBe(`page-budget check: 1 assertion, 1 compared with ${baseline}: 1 breach`)
    expect((await cli('check', report!, '--baseline', baseline!, '--max-increase', '20%')).code).toBe(0)
    expect((await cli('check', report!, '--baseline', baseline!, '--max-increase', '44 MiB')).code).toBe(0)
  })

  it('exits 1 on an unfinished run', async () => {
    const { report } = reportFiles({ report: reportOf(passing.tests, false) })
    const { code, out } = await cli('check', report!, '--format', 'github')
    expect(code).toBe(1)
    expect(out).toContain('::error title=page-budget::the run did not finish')
  })

  it('exits 1 with a named error on a file that is not a report', async () => {
    const { report } = reportFiles({ report: '{"schema":"page-budget-report"' })
    const { code, err } = await cli('check', report!)
    expect(code).toBe(1)
    expect(err).toContain('the report is not JSON')
    expect(err).toContain('hint:')
  })

  it('exits 2 with the usage on bad arguments', async () => {
    const { report } = reportFiles({ report: passing })
    for (const argv of [['check'], ['check', report!, '--format', 'xml'], ['check', report!, '--max-increase', 'lots']]) {
      const { code, err } = await cli(...argv)
      expect(code).toBe(2)
      expect(err).toContain('usage:\npage-budget check REPORT')
    }
  })
})

describe('page-budget merge', () => {
  it('writes one report from shards, ready for check', async () => {
    const shardTwo = reportOf([ddTest('other', [atMost(258, 256, 9)], 'test/other.test.ts')])
    const { one, two } = reportFiles({ one: passing, two: shardTwo })
    const output = join(tempDir(), 'merged.json')
    const { code, out } = await cli('merge', one!, two!, '--output', output)
    expect(code).toBe(0)
    expect(out).toContain(`page-budget merge: 2 tests from 2 reports into ${output}`)
    const merged = parseReport(JSON.parse(readFileSync(output, 'utf8')), output)
    expect(merged.tests.map((test) => test.file)).toEqual(['test/dd.test.ts', 'test/other.test.ts'])
    expect((await cli('check', output)).code).toBe(0)
  })

  it('refuses overlapping shards (exit 1) and a missing --output (exit 2)', async () => {
    const { one } = reportFiles({ one: passing })
    expect((await cli('merge', one!, one!, '--output', join(tempDir(), 'm.json'))).code).toBe(1)
    expect((await cli('merge', one!)).code).toBe(2)
  })
})
