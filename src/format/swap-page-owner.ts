import type { Body } from './record-scan.js'
import { RecordParser, recordReaders, type RecordOptions } from './records.js'
import { swapPageOwnerFieldsInRange } from './limits.js'
import type { SwapPageOwnerRecord } from './types.js'

/** `Page allocated via pid %d, tgid %d (%s), ts %llu ns`, as in the RFC's examples; comm as in page_owner. */
const HEADER = /^Page allocated via pid (\d+)(?:, tgid (\d+))? \((.*)\), ts (\d+) ns$/
const HEADER_SHAPE = 'a swap_page_owner record header (Page allocated via pid N, tgid N (comm), ts N ns)'
const SWP_ENTRY = 'SWP entry 0x'

/**
 * /sys/kernel/debug/swap_page_owner, the unmerged swap RFC's design as page-budget's own patches
 * build it (recipe/swap-page-owner/): one record per page in swap, with the owner of the page's
 * first allocation. Lines after the frames that a later version may add are kept in `extra`.
 */
export class SwapPageOwnerParser extends RecordParser<SwapPageOwnerRecord> {
  constructor(file: string, options: RecordOptions = {}) {
    super(file, ['Page allocated via', 'SWP entry '], (schemas) => schemas.SwapPageOwnerFieldsSchema, swapPageOwnerFieldsInRange, options)
  }

  protected parse(header: string, entry: string, body: Body, first: number): SwapPageOwnerRecord {
    const h = this.match(HEADER, header, first, HEADER_SHAPE)
    if (!entry.startsWith(SWP_ENTRY)) this.fail(first + 1, entry, `expected "${SWP_ENTRY}.." (the swap entry)`)
    return {
      ...this.owner(header, first, [h[1], h[2], h[3], h[4]]),
      swpEntry: this.number(entry.slice(SWP_ENTRY.length), first + 1, entry, 'swap entry', 16),
      frames: body.frames,
      extra: [...body.other],
    }
  }
}

const readers = recordReaders((file, options) => new SwapPageOwnerParser(file, options))

/** Streams swap_page_owner to `onRecord` and returns how many records there were. */
export const readSwapPageOwner = readers.read

/** swap_page_owner's records as an async generator. */
export const swapPageOwnerRecords = readers.records
