import { formatBytes, toleranceAllowance, type Tolerance } from '../amount.js'
import { testKey } from './records.js'
import type { Report, ReportRecord, ReportTest } from './schema.js'

/** Why a run does not pass the gate, and where to point. */
export interface Breach {
  message: string
  location: ReportRecord['location']
}

export interface CheckResult {
  assertions: number
  /** Assertions matched with one in the baseline report. */
  compared: number
  breaches: Breach[]
}

export interface CheckOptions {
  /** A report of an earlier run (main's) to compare measured pages with. */
  baseline?: Report
  /** Growth allowed against the baseline: `'5%'` of its value, or an amount (`'1 MiB'`). */
  maxIncrease: Tolerance
}

/**
 * The gate: a report passes when it is complete, every assertion held, and (given a baseline
 * report) no assertion measured more than the baseline's value plus `maxIncrease`. Assertions
 * pair up by test, selector and their order among the test's assertions on that selector.
 */
export function checkReport(report: Report, options: CheckOptions): CheckResult {
  const breaches: Breach[] = []
  if (!report.complete) {
    breaches.push({ message: `the run did not finish: the report lists the ${report.tests.length} tests with budgets that did`, location: null })
  }
  const before = options.baseline ? measurementsByKey(options.baseline) : new Map<string, ReportRecord>()
  let assertions = 0
  let compared = 0
  for (const [key, { test, record }] of recordsByKey(report)) {
    assertions++
    if (!record.held) {
      breaches.push({ message: `${where(test, record)}: expected ${record.expected}, measured ${formatBytes(record.measured.bytes)}`, location: record.location })
    }
    const old = before.get(key)
    if (!old) continue
    compared++
    const breach = increaseBreach(old, test, record, options.maxIncrease)
    if (breach) breaches.push(breach)
  }
  return { assertions, compared, breaches }
}

function where(test: ReportTest, record: ReportRecord): string {
  return `${test.title.join(' > ')}: ${record.call} on ${record.selector}`
}

/** The page size a record was measured with (4096 when it measured nothing to tell by). */
export function pageSizeOf(record: ReportRecord): number {
  return record.measured.pages ? record.measured.bytes / record.measured.pages : 4096
}

/** The breach when `record` measured more than `old` plus `maxIncrease` (a share of `old`, or an amount); else undefined. */
export function increaseBreach(old: ReportRecord, test: ReportTest, record: ReportRecord, maxIncrease: Tolerance): Breach | undefined {
  const base = { pages: old.measured.pages, bytes: old.measured.bytes }
  const allowed = toleranceAllowance(maxIncrease, { pages: Math.abs(base.pages), bytes: Math.abs(base.bytes) }, pageSizeOf(record)).bytes
  const growth = record.measured.bytes - base.bytes
  if (growth <= allowed) return undefined
  const percent = base.bytes ? ` (${growth > 0 ? '+' : ''}${((growth / Math.abs(base.bytes)) * 100).toFixed(1)}%)` : ''
  return {
    message: `${where(test, record)}: ${formatBytes(base.bytes)} -> ${formatBytes(record.measured.bytes)}${percent}, more than the allowed increase of ${formatBytes(allowed)}`,
    location: record.location,
  }
}

/**
 * Every record of a report under a key that names it across runs: its test's key (by default
 * file, project and title), its selector, and its order among the test's records on that selector.
 */
export function recordsByKey(report: Report, keyOf: (test: ReportTest) => string = testKey): Map<string, { test: ReportTest; record: ReportRecord }> {
  const byKey = new Map<string, { test: ReportTest; record: ReportRecord }>()
  for (const test of report.tests) {
    const seen = new Map<string, number>()
    for (const record of test.records) {
      const nth = seen.get(record.selector) ?? 0
      seen.set(record.selector, nth + 1)
      byKey.set(`${keyOf(test)}\0${record.selector}\0${nth}`, { test, record })
    }
  }
  return byKey
}

function measurementsByKey(report: Report): Map<string, ReportRecord> {
  return new Map([...recordsByKey(report)].map(([key, { record }]) => [key, record]))
}
