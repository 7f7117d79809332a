import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { parseReport } from '../../src/report/read.js'
import { runPlaywright } from './run.js'

describe('page-budget/playwright', () => {
  it('composes with mergeTests and mergeExpects, and reports what the merged test asserted', { timeout: 120_000 }, async () => {
    const run = await runPlaywright('test/playwright/compose')
    expect(run.exitCode, run.output).toBe(0)
    const report = parseReport(JSON.parse(await readFile(run.report, 'utf8')), run.report)
    expect(report.tests.map((test) => [test.title, test.status, test.records.map((r) => [r.call, r.held])])).toEqual([
      [['both fixtures and both sets of matchers'], 'passed', [["toAllocateAtMost('258 MiB')", true], [".not.toAllocateAtMost('200 MiB')", true]]],
    ])
  })
})
