import { ReportFileError } from '../errors.js'
import { readJson } from '../io/json.js'
import { REPORT_VERSION, Report } from './schema.js'

/** A page-budget-report.json, checked against the schema of its version. */
export async function readReport(path: string): Promise<Report> {
  return parseReport(await readJson(path, 'report'), path)
}

export function parseReport(data: unknown, path: string): Report {
  const version = (data as { version?: unknown } | null)?.version
  if ((data as { schema?: unknown } | null)?.schema === 'page-budget-report' && version !== REPORT_VERSION) {
    throw new ReportFileError(path, `report version ${String(version)} is not one this page-budget reads (${REPORT_VERSION})`, {
      hint: 'use the page-budget version that wrote the report',
    })
  }
  const parsed = Report.safeParse(data)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new ReportFileError(path, `not a page-budget report: ${issue.path.join('.') || '(top)'}: ${issue.message}`, {
      hint: 'pass the page-budget-report.json a PageBudgetReporter wrote',
    })
  }
  return parsed.data
}
