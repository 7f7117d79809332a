import type { KernelTag } from '../kernel-build/tag.js'
import type { BudgetRecord } from '../verdict/record.js'
import type { ReportAmount, ReportRecord, ReportTest } from './schema.js'

/** Who ran the records: the fields of a report test that each framework fills in its own way. */
export type TestIdentity = Pick<ReportTest, 'file' | 'title' | 'project'>

/** A test's entry in the report; the records as the matchers left them, with headroom worked out, and the kernel they measured. */
export function reportTest(identity: TestIdentity, status: ReportTest['status'], records: readonly BudgetRecord[], kernel?: KernelTag): ReportTest {
  return { ...identity, status, records: records.map(reportRecord), ...(kernel && { kernel }) }
}

export function reportRecord(record: BudgetRecord): ReportRecord {
  return {
    call: `${record.negated ? '.not.' : ''}${record.matcher}(${record.args})`,
    negated: record.negated,
    selector: record.selector,
    expected: record.expected,
    budget: record.budget,
    measured: record.measured,
    headroom: record.negated ? null : headroom(record.budget, record.measured),
    held: record.held,
    location: record.location ?? null,
    top: record.top,
    ...(record.sites && { sites: record.sites, calls: record.calls }),
    baseline: record.baseline ?? null,
  }
}

/** How far the measured value is inside the budget's nearest end; negative when outside. */
function headroom(budget: ReportRecord['budget'], measured: ReportAmount): ReportAmount | null {
  const room: ReportAmount[] = []
  if (budget.max) room.push({ pages: budget.max.pages - measured.pages, bytes: budget.max.bytes - measured.bytes })
  if (budget.min) room.push({ pages: measured.pages - budget.min.pages, bytes: measured.bytes - budget.min.bytes })
  return room.length ? room.reduce((a, b) => (b.pages < a.pages ? b : a)) : null
}

/** The order tests appear in a report: by file, project, then title, so runs and shards compare line by line. */
export function compareTests(a: TestIdentity, b: TestIdentity): number {
  return a.file.localeCompare(b.file) || a.project.localeCompare(b.project) || a.title.join('\0').localeCompare(b.title.join('\0'))
}

/** One key per test, for merging and for matching a run against a baseline report. */
export function testKey(test: TestIdentity): string {
  return JSON.stringify([test.file, test.project, ...test.title])
}
