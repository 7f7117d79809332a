import { UsageError } from '../errors.js'
import { compareTests, testKey } from './records.js'
import { REPORT_VERSION, type Report, type ReportTest } from './schema.js'

/**
 * One report from per-shard reports (each CI machine ran a shard of the suite on its own VM).
 * Complete only if every shard's report is. A test in two shards means the shards overlap:
 * that is refused rather than silently keeping one.
 */
export function mergeReports(reports: ReadonlyArray<{ path: string; report: Report }>): Report {
  const tests = new Map<string, { test: ReportTest; path: string }>()
  for (const { path, report } of reports) {
    for (const test of report.tests) {
      const key = testKey(test)
      const seen = tests.get(key)
      if (seen) {
        throw new UsageError(`${test.file} > ${test.title.join(' > ')} is in both ${seen.path} and ${path}`, {
          hint: 'merge the reports of different shards of one run (vitest --shard=i/n, playwright test --shard=i/n)',
        })
      }
      tests.set(key, { test, path })
    }
  }
  return {
    schema: 'page-budget-report',
    version: REPORT_VERSION,
    complete: reports.every(({ report }) => report.complete),
    tests: [...tests.values()].map(({ test }) => test).sort(compareTests),
  }
}
