import { readFileSync } from 'node:fs'
import type { KernelTag } from '../kernel-build/tag.js'
import type { BudgetRecord } from '../verdict/record.js'

/** The attachment that carries a test's budget records to reporters (and into the HTML report). */
export const RECORDS_ATTACHMENT = 'page-budget.json'

/** What the fixture attaches: the records as the matchers left them, and the kernel they measured. */
export interface RecordsAttachment {
  records: BudgetRecord[]
  kernel?: KernelTag
}

export function recordsBody(attachment: RecordsAttachment): string {
  return `${JSON.stringify(attachment, null, 2)}\n`
}

/** The records of a test result, from the attachment (in memory or saved to a file by the worker). */
export function recordsOf(attachments: ReadonlyArray<{ name: string; body?: Buffer; path?: string }>): RecordsAttachment {
  const attachment = attachments.findLast((a) => a.name === RECORDS_ATTACHMENT)
  if (!attachment) return { records: [] }
  const body = attachment.body ?? (attachment.path ? readFileSync(attachment.path) : undefined)
  return body ? (JSON.parse(body.toString('utf8')) as RecordsAttachment) : { records: [] }
}
