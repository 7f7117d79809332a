import { z } from 'zod'
import { U64_MAX } from './numbers.js'
import type { Frame, PageOwnerRecord, SwapPageOwnerRecord } from './types.js'

/**
 * zod schemas of the parsed records: the contract for anyone who stores or ships records, and a
 * net under the parsers. The parsers build records by construction (every number through
 * unsignedAt), so the schemas mostly add what a parser cannot see from one field: plausible ranges.
 *
 * Where they run, as measured on the 45 MB capture (71,533 records, 1.17 M lines; ~0.6 s to parse
 * without zod): checking whole records, frames included, added ~0.45 s, so frames are checked
 * once per distinct frame line, when the frame cache first meets it (a few thousand checks), and
 * each record's own fields (the *FieldsSchema below) once per record, which adds ~0.2 s
 * (RecordOptions.validate: false skips it).
 */

/** Kernel PID_MAX_LIMIT on 64-bit. */
export const PID_MAX = 2 ** 22
/** Allocation orders are small (MAX_PAGE_ORDER is 10 on x86-64): 31 fits any architecture and still catches garbage. */
export const ORDER_MAX = 31

const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)
const pid = z.number().int().nonnegative().max(PID_MAX)
const order = z.number().int().nonnegative().max(ORDER_MAX)
/** Nanoseconds and page flags are u64; above 2^53 they are rounded to the nearest double. */
const u64 = z.number().nonnegative().max(U64_MAX)

export const FrameSchema = z.object({
  fn: z.string().min(1),
  offset: count,
  size: count,
  module: z.string().min(1).optional(),
  raw: z.string().min(1),
}) satisfies z.ZodType<Frame>

const owner = { pid, tgid: pid, comm: z.string(), ts: u64 }

export const PageOwnerFieldsSchema = z.object({
  ...owner,
  order,
  mask: count,
  gfp: z.array(z.string().min(1)),
  freeTs: u64.optional(),
  marks: z.array(z.string()),
  pfn: count,
  migrateType: z.string().min(1),
  block: count,
  blockType: z.string().min(1),
  flags: u64,
  flagNames: z.array(z.string().min(1)),
  memcg: z.string().optional(),
  extra: z.array(z.string()),
})

export const PageOwnerRecordSchema = PageOwnerFieldsSchema.extend({
  frames: z.array(FrameSchema),
}) satisfies z.ZodType<PageOwnerRecord>

export const SwapPageOwnerFieldsSchema = z.object({
  ...owner,
  swpEntry: count,
  extra: z.array(z.string()),
})

export const SwapPageOwnerRecordSchema = SwapPageOwnerFieldsSchema.extend({
  frames: z.array(FrameSchema),
}) satisfies z.ZodType<SwapPageOwnerRecord>

/**
 * The fields schemas' checks that the parsers do not make by construction (their numbers come
 * from unsignedAt: non-negative integers within the bound each field passes it), as comparisons:
 * true only for records the schema passes, so a reader that counts runs the schema only where
 * this says no (records.ts). test/format/schema.test.ts holds the two together.
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
