import type { Reporter, TestModule } from 'vitest/node'
import { renderTable } from '../report/table.js'
import { formatBytes } from '../verdict/budget.js'
import '../vitest/expect.js'

/**
 * `reporters: ['default', new PageBudgetReporter()]`: ends the run with one table of every
 * budget assertion: test, stacks, expectation, measured pages and whether it held.
 */
export class PageBudgetReporter implements Reporter {
  readonly #print: (text: string) => void

  constructor(options: { print?: (text: string) => void } = {}) {
    this.#print = options.print ?? ((text) => process.stdout.write(`${text}\n`))
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const rows: string[][] = []
    for (const module of testModules) {
      for (const testCase of module.children.allTests()) {
        for (const record of testCase.meta().pageBudget ?? []) {
          rows.push([
            testCase.fullName,
            record.call,
            record.stacks,
            record.expected,
            `${record.measured.pages} pages (${formatBytes(record.measured.bytes)})`,
            record.held ? 'ok' : 'FAILED',
          ])
        }
      }
    }
    if (rows.length === 0) return
    this.#print(`\npage-budget: ${rows.length} budget ${rows.length === 1 ? 'assertion' : 'assertions'}\n`)
    this.#print(renderTable(['test', 'assertion', 'stacks', 'expected', 'measured', ''], rows))
  }
}
