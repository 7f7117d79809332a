import type { Reporter, TestCase, TestModule } from 'vitest/node'
import { reportPath } from '../io/paths.js'
import { reportTest } from '../report/records.js'
import { REPORT_FILE, type ReportTest } from '../report/schema.js'
import { summary } from '../report/summary.js'
import { ReportFiles } from '../report/writer.js'
import '../vitest/expect.js'

export interface PageBudgetReporterOptions {
  /**
   * Where page-budget-report.json goes (relative to the working directory); default
   * `page-budget-report.json`. With `[project]` in it, one report per project.
   */
  outputFile?: string
  print?: (text: string) => void
}

/**
 * `reporters: ['default', new PageBudgetReporter()]`: writes page-budget-report.json as test
 * files finish (so a run that dies keeps what finished) and ends the run with one table of
 * every budget assertion.
 */
export class PageBudgetReporter implements Reporter {
  readonly #print: (text: string) => void
  readonly #writer: ReportFiles

  constructor(options: PageBudgetReporterOptions = {}) {
    this.#print = options.print ?? ((text) => process.stdout.write(`${text}\n`))
    this.#writer = new ReportFiles(options.outputFile ?? REPORT_FILE)
  }

  async onTestModuleEnd(module: TestModule): Promise<void> {
    for (const testCase of module.children.allTests()) await this.#writer.add(entry(testCase))
  }

  async onTestRunEnd(): Promise<void> {
    const text = summary(await this.#writer.finish())
    if (text) this.#print(`\n${text}\n`)
  }
}

function entry(testCase: TestCase): ReportTest {
  const title = [testCase.name]
  for (let parent = testCase.parent; parent.type === 'suite'; parent = parent.parent) title.unshift(parent.name)
  const file = reportPath(testCase.module.moduleId)
  const state = testCase.result().state
  const status = state === 'passed' || state === 'failed' ? state : 'skipped'
  const meta = testCase.meta()
  return reportTest({ file, title, project: testCase.project.name }, status, meta.pageBudget ?? [], meta.pageBudgetKernel)
}
