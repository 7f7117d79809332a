import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Report, ReportRecord, ReportTest } from '../../src/report/schema.js'
import { tempDir } from '../helpers.js'

const MiB = 256

/** A record of toAllocateAtMost(budget MiB) on shmem_* that measured `measured` MiB, at `line`. */
export function atMost(budget: number, measured: number, line: number): ReportRecord {
  const amount = (mib: number) => ({ pages: mib * MiB, bytes: mib * 2 ** 20 })
  return {
    call: `toAllocateAtMost('${budget} MiB')`,
    negated: false,
    selector: 'shmem_*',
    expected: `at most ${budget * MiB} pages (${budget} MiB)`,
    budget: { max: amount(budget) },
    measured: amount(measured),
    headroom: amount(budget - measured),
    held: measured <= budget,
    location: { file: 'test/dd.test.ts', line },
    top: [{ handle: 7, pages: measured * MiB, frames: ['…', 'shmem_get_folio_gfp', 'vfs_write', '…'] }],
    baseline: null,
  }
}

export function reportOf(tests: ReportTest[], complete = true): Report {
  return { schema: 'page-budget-report', version: 1, complete, tests }
}

export function ddTest(title: string, records: ReportRecord[], file = 'test/dd.test.ts'): ReportTest {
  return { file, title: ['tmpfs', title], project: '', status: records.every((r) => r.held) ? 'passed' : 'failed', records }
}

/** Writes reports to files in a fresh directory; returns their paths. */
export function reportFiles(reports: Record<string, Report | string>): Record<string, string> {
  const dir = tempDir('page-budget-reports-')
  return Object.fromEntries(
    Object.entries(reports).map(([name, report]) => {
      const path = join(dir, name)
      writeFileSync(path, typeof report === 'string' ? report : JSON.stringify(report))
      return [name, path]
    }),
  )
}
