import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter'
import { reportPath } from '../io/paths.js'
import { reportTest } from '../report/records.js'
import { REPORT_FILE, type ReportTest } from '../report/schema.js'
import { summary } from '../report/summary.js'
import { ReportFiles } from '../report/writer.js'
import { recordsOf } from './attachment.js'

export interface PageBudgetReporterOptions {
  /**
   * Where page-budget-report.json goes (relative to the working directory); default
   * `page-budget-report.json`. With `[project]` in it, one report per project.
   */
  outputFile?: string
  print?: (text: string) => void
}

/**
 * `reporter: [['list'], [pageBudgetReporter]]`: writes page-budget-report.json
 * as tests finish (so a run that dies keeps what finished) and ends the run with one table of
 * every budget assertion. Same file as the Vitest reporter's for the same workload.
 */
export default class PageBudgetReporter implements Reporter {
  readonly #print: (text: string) => void
  readonly #writer: ReportFiles

  constructor(options: PageBudgetReporterOptions = {}) {
    this.#print = options.print ?? ((text) => process.stdout.write(`${text}\n`))
    this.#writer = new ReportFiles(options.outputFile ?? REPORT_FILE)
  }

  printsToStdio(): boolean {
    return false
  }

  async onTestEnd(test: TestCase, result: TestResult): Promise<void> {
    await this.#writer.add(entry(test, result))
  }

  async onEnd(_result: FullResult): Promise<void> {
    const text = summary(await this.#writer.finish())
    if (text) this.#print(`\n${text}\n`)
  }
}

function entry(test: TestCase, result: TestResult): ReportTest {
  const title = [test.title]
  for (let suite = test.parent; suite.type === 'describe'; suite = suite.parent!) title.unshift(suite.title)
  const status = result.status === 'passed' || result.status === 'skipped' ? result.status : 'failed'
  const identity = { file: reportPath(test.location.file), title, project: test.parent.project()?.name ?? '' }
  const { records, kernel } = recordsOf(result.attachments)
  return reportTest(identity, status, records, kernel)
}
