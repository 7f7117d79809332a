import { formatBytes } from '../amount.js'
import type { Report, ReportRecord, ReportTest } from './schema.js'
import { renderTable } from './table.js'

const HEADER = ['test', 'selector', 'budget', 'measured', 'headroom', 'top stack', '']

/** One row per budget assertion: the run's closing table, and `page-budget check`'s summary. */
export function summaryTable(tests: readonly ReportTest[]): string {
  const rows = tests.flatMap((test) => test.records.map((record) => summaryRow(test, record)))
  return renderTable(HEADER, rows)
}

function summaryRow(test: ReportTest, record: ReportRecord): string[] {
  return [
    test.title.join(' > '),
    record.selector,
    budgetWords(record),
    formatBytes(record.measured.bytes),
    record.headroom ? formatBytes(record.headroom.bytes) : '',
    topStack(record),
    record.held ? 'ok' : 'FAILED',
  ]
}

/** `<= 258 MiB`, `>= 255 MiB`, `255 MiB..258 MiB`; `not` in front of a negated assertion. */
function budgetWords(record: ReportRecord): string {
  const { min, max } = record.budget
  const range = min && max ? `${formatBytes(min.bytes)}..${formatBytes(max.bytes)}` : max ? `<= ${formatBytes(max.bytes)}` : min ? `>= ${formatBytes(min.bytes)}` : record.expected
  const base = record.baseline?.pages != null ? ' (baseline)' : ''
  return `${record.negated ? 'not ' : ''}${range}${base}`
}

/** The largest stack by its outermost kept frames: `shmem_get_folio_gfp.constprop.0 … ksys_write`. */
function topStack(record: ReportRecord): string {
  const frames = record.top[0]?.frames.filter((frame) => frame !== '…') ?? []
  if (frames.length === 0) return ''
  return frames.length === 1 ? frames[0]! : `${frames[0]} … ${frames[frames.length - 1]}`
}

/** `page-budget: 3 budget assertions, 1 failed`, then the table. Empty when nothing was asserted. */
export function summary(report: Report): string {
  const records = report.tests.flatMap((test) => test.records)
  if (records.length === 0) return ''
  const failed = records.filter((record) => !record.held).length
  const counted = `${records.length} budget ${records.length === 1 ? 'assertion' : 'assertions'}${failed ? `, ${failed} failed` : ''}`
  return `page-budget: ${counted}\n\n${summaryTable(report.tests)}`
}
