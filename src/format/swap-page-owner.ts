import { RecordMachine, recordReaders, type RecordBody, type RecordOptions } from './records.js'
import { SwapPageOwnerFieldsSchema } from './schema.js'
import type { SwapPageOwnerRecord } from './types.js'

/** `Page allocated via pid %d, tgid %d (%s), ts %llu ns`, as in the RFC's examples; comm as in page_owner. */
const HEADER = /^Page allocated via pid (\d+)(?:, tgid (\d+))? \((.*)\), ts (\d+) ns$/
const HEADER_SHAPE = 'a swap_page_owner record header (Page allocated via pid N, tgid N (comm), ts N ns)'
const SWP_ENTRY = 'SWP entry 0x'

/**
 * The swap RFC's /sys/kernel/debug/swap_page_owner (not merged): one record per page in swap,
 * with the owner of the page's first allocation. Lines after the frames that the RFC may add
 * are kept in `extra`.
 */
export class SwapPageOwnerMachine extends RecordMachine<SwapPageOwnerRecord> {
  constructor(file: string, emit: (record: SwapPageOwnerRecord) => void, options: RecordOptions = {}) {
    super(file, emit, ['Page allocated via', 'SWP entry '], SwapPageOwnerFieldsSchema, options)
  }

  protected record(lines: readonly string[], first: number, body: RecordBody): SwapPageOwnerRecord {
    const h = this.match(HEADER, lines, 0, first, HEADER_SHAPE)
    const entry = lines[1]!
    if (!entry.startsWith(SWP_ENTRY)) this.fail(first + 1, entry, `expected "${SWP_ENTRY}.." (the swap entry)`)
    return {
      ...this.owner(lines[0]!, first, [h[1], h[2], h[3], h[4]]),
      swpEntry: this.number(entry.slice(SWP_ENTRY.length), first + 1, entry, 'swap entry', 16),
      frames: body.frames,
      extra: body.other,
    }
  }
}

const readers = recordReaders((file, emit: (record: SwapPageOwnerRecord) => void, options) => new SwapPageOwnerMachine(file, emit, options))

/** Streams swap_page_owner to `onRecord` and returns how many records there were. */
export const readSwapPageOwner = readers.read

/** swap_page_owner's records as an async generator. */
export const swapPageOwnerRecords = readers.records
