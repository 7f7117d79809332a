import { readFile } from 'node:fs/promises'
import { ReportFileError } from '../errors.js'
import { REPORT_VERSION, Report } from './schema.js'

/** Reads a JSON file, with a named error for each way it can be wrong. */
export async function readJson(path: string, what: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    throw new ReportFileError(path, `cannot read the ${what}`, { hint: `check the path; the ${what} is written at the end of a test run`, cause })
  }
  try {
    return JSON.parse(text)
  } catch (cause) {
    throw new ReportFileError(path, `the ${what} is not JSON`, { hint: 'it was cut short or edited by hand; run the tests again', cause })
  }
}

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
