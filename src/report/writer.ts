import { resolve } from 'node:path'
import { writeFileAtomic } from '../io/atomic.js'
import { compareTests, testKey } from './records.js'
import { REPORT_VERSION, type Report, type ReportTest } from './schema.js'

/**
 * Builds the run's report as tests finish and rewrites the file (atomically) after each one,
 * marked incomplete until `finish()`: a run that dies part-way leaves a valid report of the
 * tests that finished. A retried test replaces its earlier entry.
 */
export class ReportWriter {
  readonly path: string
  readonly #tests = new Map<string, ReportTest>()
  /** Writes queue behind each other so an older report never lands after a newer one. */
  #writing: Promise<void> = Promise.resolve()

  constructor(path: string) {
    this.path = resolve(path)
  }

  /** Records a finished test (one with no budget assertion is left out) and saves the report so far. */
  add(test: ReportTest): Promise<void> {
    if (test.records.length === 0) return this.#writing
    this.#tests.set(testKey(test), test)
    return this.#save(false)
  }

  /** Saves the final report, marked complete, and returns it. */
  async finish(): Promise<Report> {
    await this.#save(true)
    return this.report(true)
  }

  report(complete: boolean): Report {
    const tests = [...this.#tests.values()].sort(compareTests)
    return { schema: 'page-budget-report', version: REPORT_VERSION, complete, tests }
  }

  #save(complete: boolean): Promise<void> {
    const text = `${JSON.stringify(this.report(complete), null, 2)}\n`
    // A failed write was reported to its caller; the next one still runs.
    this.#writing = this.#writing.catch(() => undefined).then(() => writeFileAtomic(this.path, text))
    return this.#writing
  }
}

/** What a reporter's `outputFile` may hold to write one report per project: base and candidate kernels, each its own file. */
export const PROJECT_PLACEHOLDER = '[project]'

/**
 * The report files of a run: one at `path`, or with `[project]` in it, one per project (the
 * project's name put in its place), so that two projects of one suite on two kernels leave
 * two reports for `page-budget compare`.
 */
export class ReportFiles {
  readonly #path: string
  readonly #writers = new Map<string, ReportWriter>()

  constructor(path: string) {
    this.#path = path
  }

  add(test: ReportTest): Promise<void> {
    return this.#writer(test.project).add(test)
  }

  /** Saves every report, marked complete, and returns the run's tests as one report (for the closing table). */
  async finish(): Promise<Report> {
    if (this.#writers.size === 0) this.#writer('')
    const reports = await Promise.all([...this.#writers.values()].map((writer) => writer.finish()))
    const tests = reports.flatMap((report) => report.tests).sort(compareTests)
    return { schema: 'page-budget-report', version: REPORT_VERSION, complete: true, tests }
  }

  #writer(project: string): ReportWriter {
    const path = this.#path.includes(PROJECT_PLACEHOLDER) ? this.#path.replaceAll(PROJECT_PLACEHOLDER, project || 'default') : this.#path
    let writer = this.#writers.get(path)
    if (!writer) this.#writers.set(path, (writer = new ReportWriter(path)))
    return writer
  }
}
