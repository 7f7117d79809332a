import { U64_MAX } from './numbers.js'
import type { Body } from './record-scan.js'
import { RecordParser, recordReaders, type RecordOptions } from './records.js'
import { pageOwnerFieldsInRange } from './limits.js'
import type { PageOwnerRecord } from './types.js'

/**
 * The header, `Page allocated via order %u, mask %#x(%pGg), ` and the owner, as
 * mm/page_owner.c's print_page_owner has printed it:
 *   v5.11            `pid %d, ts %llu ns`
 *   v5.12 - v5.17    `pid %d, ts %llu ns, free_ts %llu ns`
 *   865ed6a32786     `pid %d (%s), ts %llu ns, free_ts %llu ns` (the comm; bf215eab785a added tgid
 *                    in the same merge window, so no release printed this, but builds between did)
 *   v5.18 - v6.6     `pid %d, tgid %d (%s), ts %llu ns, free_ts %llu ns`
 *   v6.7 and later   `pid %d, tgid %d (%s), ts %llu ns`, then marks such as ` (swapped)` from the swap RFC
 * Before v5.11 the header ended after the mask; a record without its owner is none this parser
 * makes, so such a file fails at its first header. The pattern takes each part as optional, and
 * `printed` keeps the combinations above.
 *
 * The comm is `(.*)`: a task may call itself anything, parentheses and `), ts ` included, and
 * the greedy match ends it at the last `), ts N ns` that lets the line finish.
 */
const HEADER =
  /^Page allocated via order (\d+), mask 0x([0-9a-f]+)\(([^()]*)\), pid (\d+)(?:, tgid (\d+))?(?: \((.*)\))?, ts (\d+) ns(?:, free_ts (\d+) ns)?((?: \([^()]*\))*)$/
const HEADER_SHAPE = 'a page_owner record header (Page allocated via order N, mask 0x..(..), pid N, tgid N (comm), ts N ns)'

/**
 * Whether some kernel printed a header with these optional parts (see HEADER). Any other mix is
 * damage, or a file cut inside a header and joined to another: `pid 33` joined to ` (dd), ts 17 ns`
 * is a comm without tgid or free_ts, which no kernel printed. (Some such joins are real shapes:
 * `pid 33, t` joined to `s 17 ns` is v5.11's; nothing in the text can tell those apart.)
 */
function printed(tgid: string | undefined, comm: string | undefined, freeTs: string | undefined, marks: string): boolean {
  if (comm === undefined) return tgid === undefined && marks === '' // v5.11 - v5.17
  if (tgid === undefined) return freeTs !== undefined && marks === '' // 865ed6a32786
  return freeTs === undefined || marks === '' // v6.7 and later, or v5.18 - v6.6
}

/** `PFN %#lx type %s Block %lu type %s Flags %pGp`; older kernels print the PFN in decimal. */
const PFN = /^PFN (?:0x([0-9a-f]+)|(\d+)) type (\S+) Block (\d+) type (\S+) Flags 0x([0-9a-f]+)\(([^()]*)\)$/
const PFN_SHAPE = 'the PFN line (PFN 0x.. type T Block N type T Flags 0x..(..))'

/** `Charged [(via objcg) ]to [offline ]memcg NAME`, printed since v6.0 for charged pages. */
const MEMCG = /^Charged (?:\(via objcg\) )?to (?:offline )?memcg (.*)$/

/** The per-page /sys/kernel/debug/page_owner file: one record per allocated page or folio. */
export class PageOwnerParser extends RecordParser<PageOwnerRecord> {
  constructor(file: string, options: RecordOptions = {}) {
    super(file, ['Page allocated via', 'PFN '], (schemas) => schemas.PageOwnerFieldsSchema, pageOwnerFieldsInRange, options)
  }

  protected parse(header: string, place: string, body: Body, first: number): PageOwnerRecord {
    const h = this.match(HEADER, header, first, HEADER_SHAPE)
    if (!printed(h[5], h[6], h[8], h[9]!)) {
      this.fail(first, header, `expected ${HEADER_SHAPE}: no kernel printed this mix of tgid, comm, free_ts and marks`)
    }
    const p = this.match(PFN, place, first + 1, PFN_SHAPE)
    const record: PageOwnerRecord = {
      order: this.number(h[1]!, first, header, 'order'),
      mask: this.number(h[2]!, first, header, 'GFP mask', 16),
      gfp: names(h[3]!),
      ...this.owner(header, first, [h[4], h[5], h[6], h[7]]),
      marks: h[9] ? h[9].slice(2, -1).split(') (') : [],
      pfn: p[1] === undefined ? this.number(p[2]!, first + 1, place, 'PFN') : this.number(p[1], first + 1, place, 'PFN', 16),
      migrateType: p[3]!,
      block: this.number(p[4]!, first + 1, place, 'block'),
      blockType: p[5]!,
      flags: this.number(p[6]!, first + 1, place, 'flags', 16, U64_MAX),
      flagNames: names(p[7]!),
      frames: body.frames,
      extra: [...body.other], // a copy: the memcg line is taken out of it below
    }
    if (h[8] !== undefined) record.freeTs = this.number(h[8], first, header, 'free_ts', 10, U64_MAX)
    const charged = record.extra.findIndex((line) => line.startsWith('Charged '))
    const memcg = charged < 0 ? undefined : MEMCG.exec(record.extra[charged]!)
    if (memcg) {
      record.memcg = memcg[1]!
      record.extra.splice(charged, 1)
    }
    return record
  }
}

/** `a|b|c` as a list; `` as none. */
function names(list: string): string[] {
  return list === '' ? [] : list.split('|')
}

const readers = recordReaders((file, options) => new PageOwnerParser(file, options))

/**
 * Streams the page_owner file to `onRecord`, one record at a time (with the Body it shares with
 * every record of its stack), and returns how many there were: the fast way through a file of
 * gigabytes, since nothing is kept. Counting readers pass `{ validate: false }` (RecordOptions).
 */
export const readPageOwner = readers.read

/** The page_owner file's records as an async generator. */
export const pageOwnerRecords = readers.records
