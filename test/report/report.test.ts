import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { UsageError } from '../../src/errors.js'
import { githubAnnotation } from '../../src/report/annotations.js'
import { checkReport } from '../../src/report/check.js'
import { mergeReports } from '../../src/report/merge.js'
import { ReportFileError } from '../../src/errors.js'
import { parseReport } from '../../src/report/read.js'
import { reportRecord } from '../../src/report/records.js'
import { summary } from '../../src/report/summary.js'
import { ReportWriter } from '../../src/report/writer.js'
import { tempDir } from '../helpers.js'
import { atMost, ddTest, reportOf } from './fixtures.js'

describe('ReportWriter', () => {
  it('leaves a valid report, marked incomplete, after every finished test', async () => {
    const path = join(tempDir(), 'out', 'page-budget-report.json')
    const writer = new ReportWriter(path)
    await writer.add(ddTest('b', [atMost(258, 256, 5)]))
    await writer.add(ddTest('nothing asserted', []))
    const partial = parseReport(JSON.parse(readFileSync(path, 'utf8')), path)
    expect(partial.complete).toBe(false)
    expect(partial.tests.map((t) => t.title[1])).toEqual(['b'])

    // A retry replaces the test's entry; tests come out sorted.
    await writer.add(ddTest('a', [atMost(258, 256, 9)]))
    await writer.add(ddTest('b', [atMost(200, 256, 5)]))
    const done = await writer.finish()
    expect(done).toEqual(parseReport(JSON.parse(readFileSync(path, 'utf8')), path))
    expect(done.complete).toBe(true)
    expect(done.tests.map((t) => [t.title[1], t.status])).toEqual([['a', 'passed'], ['b', 'failed']])
  })
})

describe('reportRecord', () => {
  it('works out headroom to the nearest end of the budget, and none for .not', () => {
    const base = { selector: 'shmem_*', expected: 'x', held: true, measured: { pages: 100, bytes: 409600 }, negated: false, top: [] }
    const both = reportRecord({ ...base, matcher: 'toAllocateBetween', args: "'90 pages', '150 pages'", budget: { min: { pages: 90, bytes: 368640 }, max: { pages: 150, bytes: 614400 } } })
    expect(both.headroom).toEqual({ pages: 10, bytes: 40960 })
    const negated = reportRecord({ ...base, matcher: 'toAllocateAtMost', args: "'50 pages'", negated: true, budget: { max: { pages: 50, bytes: 204800 } } })
    expect(negated).toMatchObject({ call: ".not.toAllocateAtMost('50 pages')", negated: true, headroom: null })
    // Matchers that state no range still make a valid entry.
    expect(reportRecord({ ...base, matcher: 'toRemainOwnedBy', args: "{ comm: 'dd' }, { since: 'written' }", budget: {} })).toMatchObject({
      call: "toRemainOwnedBy({ comm: 'dd' }, { since: 'written' })",
      budget: {},
      headroom: null,
      top: [],
      location: null,
      baseline: null,
    })
  })
})

describe('summary', () => {
  it('is one table: test, selector, budget, measured, headroom, top stack', () => {
    expect(summary(reportOf([ddTest('dd', [atMost(258, 256, 5), atMost(200, 256, 6)])]))).toMatchInlineSnapshot(`
      "page-budget: 2 budget assertions, 1 failed

      test        selector  budget      measured  headroom  top stack
      tmpfs > dd  shmem_*   <= 258 MiB  256 MiB   2 MiB     shmem_get_folio_gfp … vfs_write  ok
      tmpfs > dd  shmem_*   <= 200 MiB  256 MiB   -56 MiB   shmem_get_folio_gfp … vfs_write  FAILED"
    `)
    expect(summary(reportOf([]))).toBe('')
  })
})

describe('mergeReports', () => {
  it('joins shards, sorted, complete only if every shard is', () => {
    const one = reportOf([ddTest('b', [atMost(258, 256, 5)])])
    const two = reportOf([ddTest('a', [atMost(258, 256, 5)], 'test/a.test.ts')], false)
    const merged = mergeReports([{ path: '1.json', report: one }, { path: '2.json', report: two }])
    expect(merged.complete).toBe(false)
    expect(merged.tests.map((t) => t.file)).toEqual(['test/a.test.ts', 'test/dd.test.ts'])
  })
  it('refuses shards that overlap', () => {
    const one = reportOf([ddTest('b', [atMost(258, 256, 5)])])
    expect(() => mergeReports([{ path: '1.json', report: one }, { path: '2.json', report: one }])).toThrow(UsageError)
  })
})

describe('checkReport', () => {
  it('passes a complete report whose assertions held', () => {
    expect(checkReport(reportOf([ddTest('dd', [atMost(258, 256, 5)])]), { maxIncrease: '5%' })).toEqual({ assertions: 1, compared: 0, breaches: [] })
  })
  it('breaches on a failed assertion, at its location, and on an unfinished run', () => {
    const { breaches } = checkReport(reportOf([ddTest('dd', [atMost(200, 256, 6)])], false), { maxIncrease: '5%' })
    expect(breaches).toEqual([
      { message: 'the run did not finish: the report lists the 1 tests with budgets that did', location: null },
      { message: "tmpfs > dd: toAllocateAtMost('200 MiB') on shmem_*: expected at most 51200 pages (200 MiB), measured 256 MiB", location: { file: 'test/dd.test.ts', line: 6 } },
    ])
  })
  it('breaches on growth against a baseline report beyond the allowed increase', () => {
    const before = reportOf([ddTest('dd', [atMost(1024, 256, 5), atMost(1024, 100, 6)])])
    const after = reportOf([ddTest('dd', [atMost(1024, 268, 5), atMost(1024, 104, 6)])])
    const result = checkReport(after, { baseline: before, maxIncrease: '4%' })
    expect(result.compared).toBe(2)
    expect(result.breaches.map((b) => b.message)).toEqual([
      "tmpfs > dd: toAllocateAtMost('1024 MiB') on shmem_*: 256 MiB -> 268 MiB (+4.7%), more than the allowed increase of 10.24 MiB",
    ])
    expect(checkReport(after, { baseline: before, maxIncrease: '12 MiB' }).breaches).toEqual([])
  })
})

describe('githubAnnotation', () => {
  it('points at the assertion and escapes what the runner would misread', () => {
    expect(githubAnnotation({ message: '50% over\nbudget', location: { file: 'a,b:c.ts', line: 3 } })).toBe('::error file=a%2Cb%3Ac.ts,line=3,title=page-budget::50%25 over%0Abudget')
    expect(githubAnnotation({ message: 'x', location: { file: 'a.ts', line: 3, column: 11 } })).toBe('::error file=a.ts,line=3,col=11,title=page-budget::x')
    expect(githubAnnotation({ message: 'unfinished', location: null })).toBe('::error title=page-budget::unfinished')
  })
})

describe('parseReport', () => {
  it('names what is wrong with a file that is not a report', () => {
    expect(() => parseReport({ schema: 'page-budget-report', version: 1, complete: true, tests: [{ file: 3 }] }, 'r.json')).toThrow(
      /r\.json: not a page-budget report: tests\.0\.file/,
    )
    expect(() => parseReport({ schema: 'page-budget-report', version: 9, complete: true, tests: [] }, 'r.json')).toThrow(ReportFileError)
  })
})
