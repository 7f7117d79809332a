import { z } from 'zod'
import { ORDER_MAX, PID_MAX } from './limits.js'
import { U64_MAX } from './numbers.js'
import type { Frame, PageOwnerRecord, SwapPageOwnerRecord } from './types.js'

/**
 * zod schemas of the parsed records: the contract for anyone who stores or ships records, and a
 * net under the parsers. The parsers build records by construction (every number through
 * unsignedAt), so the schemas mostly add what a parser cannot see from one field: plausible ranges.
 *
 * Where they run, as measured on the 45 MB capture (71,533 records, 1.17 M lines; ~0.6 s to parse
 * without zod): checking whole records, frames included, added ~0.45 s, so readers that hand
 * records on check frames once per distinct record body (a few thousand checks) and each
 * record's own fields (the *FieldsSchema below) once per record, which adds ~0.2 s. Readers that
 * only count (RecordOptions.validate: false) do not even load this module (zod takes ~0.2 s to
 * load, a third of `top` on that capture): records.ts checks their ranges by comparison and
 * loads it only to word the error for a record out of range.
 */

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

/** A record body's frames, checked once per body by the readers that hand records on. */
export const FramesSchema = z.array(FrameSchema)

export const SwapPageOwnerRecordSchema = SwapPageOwnerFieldsSchema.extend({
  frames: z.array(FrameSchema),
}) satisfies z.ZodType<SwapPageOwnerRecord>
