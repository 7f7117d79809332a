import type { PageOwnerRecord, SwapPageOwnerRecord } from './types.js'

/** Kernel PID_MAX_LIMIT on 64-bit. */
export const PID_MAX = 2 ** 22
/** Allocation orders are small (MAX_PAGE_ORDER is 10 on x86-64): 31 fits any architecture and still catches garbage. */
export const ORDER_MAX = 31

/**
 * The fields schemas' checks that the parsers do not make by construction (their numbers come
 * from unsignedAt: non-negative integers within the bound each field passes it), as comparisons:
 * true only for records the schema passes, so a reader that counts runs the schema only where
 * this says no (records.ts). (Here, not in schema.ts, so that a counting reader never loads zod.)
 */
export function pageOwnerFieldsInRange(record: PageOwnerRecord): boolean {
  return record.pid <= PID_MAX && record.tgid <= PID_MAX && record.order <= ORDER_MAX && named(record.gfp) && named(record.flagNames)
}

export function swapPageOwnerFieldsInRange(record: SwapPageOwnerRecord): boolean {
  return record.pid <= PID_MAX && record.tgid <= PID_MAX
}

function named(names: readonly string[]): boolean {
  for (const name of names) if (name === '') return false
  return true
}
