import { readFileSync } from 'node:fs'
import type { BudgetRecord } from '../verdict/record.js'

/** The attachment that carries a test's budget records to reporters (and into the HTML report). */
export const RECORDS_ATTACHMENT = 'page-budget.json'

/** What the fixture attaches: the records as the matchers left them. */
export function recordsBody(records: readonly BudgetRecord[]): string {
  return `${JSON.stringify({ records }, null, 2)}\n`
}

/** The records of a test result, from the attachment (in memory or saved to a file by the worker). */
export function recordsOf(attachments: ReadonlyArray<{ name: string; body?: Buffer; path?: string }>): BudgetRecord[] {
  const attachment = attachments.findLast((a) => a.name === RECORDS_ATTACHMENT)
  if (!attachment) return []
  const body = attachment.body ?? (attachment.path ? readFileSync(attachment.path) : undefined)
  return body ? (JSON.parse(body.toString('utf8')) as { records: BudgetRecord[] }).records : []
}
