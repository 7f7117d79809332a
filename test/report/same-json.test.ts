import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { parseReport } from '../../src/report/read.js'
import { tempDir } from '../helpers.js'
import { runPlaywright } from '../playwright/run.js'

/**
 * The same workload file (the recorded dd, replayed) under Vitest and under Playwright, each
 * with its PageBudgetReporter: the two page-budget-report.json files must be byte for byte equal.
 */
const WORKLOAD = 'test/report/workload'

async function run(framework: 'vitest' | 'playwright'): Promise<{ exitCode: number | undefined; output: string; report: string }> {
  if (framework === 'playwright') {
    const result = await runPlaywright(`${WORKLOAD}/playwright.config.ts`, { PAGE_BUDGET_FRAMEWORK: framework })
    return { ...result, report: await readFile(result.report, 'utf8') }
  }
  const dir = tempDir('page-budget-vitest-')
  const report = join(dir, 'page-budget-report.json')
  const result = await execa('npx', ['vitest', 'run', '--config', `${WORKLOAD}/vitest.config.ts`], {
    reject: false,
    all: true,
    env: { PAGE_BUDGET_FRAMEWORK: framework, PAGE_BUDGET_REPORT: report, PAGE_BUDGET_TEST_CACHE: join(dir, 'cache'), FORCE_COLOR: '0' },
  })
  return { exitCode: result.exitCode, output: result.all, report: await readFile(report, 'utf8') }
}

describe('the Vitest and Playwright reporters', () => {
  it('write the same page-budget-report.json for the same workload', { timeout: 120_000 }, async () => {
    const [vitest, playwright] = await Promise.all([run('vitest'), run('playwright')])
    // The workload has one test over budget: both runs fail, and say so in their closing table.
    expect(vitest.exitCode, vitest.output).toBe(1)
    expect(playwright.exitCode, playwright.output).toBe(1)
    for (const { output } of [vitest, playwright]) expect(output).toContain('page-budget: 4 budget assertions, 1 failed')
    expect(playwright.report).toBe(vitest.report)

    const report = parseReport(JSON.parse(vitest.report), 'vitest report')
    expect(report.complete).toBe(true)
    // A recording: the release it recorded, and nothing page-budget booted.
    expect(report.tests.map((test) => test.kernel)).toEqual([0, 1].map(() => ({ version: '7.2.13', source: null, config: null })))
    expect(report.tests.map((test) => [test.title.join(' > '), test.status, test.records.map((r) => r.held)])).toEqual([
      ['dd to tmpfs > breaks a budget too small', 'failed', [false]],
      ['dd to tmpfs > stays in budget', 'passed', [true, true, true]],
    ])
    // Both frameworks map the assertion back to its line and column in the TypeScript source.
    expect(report.tests[0]!.records[0]!.location).toEqual({ file: `${WORKLOAD}/budgets.workload.ts`, line: 25, column: 29 })
  })
})
