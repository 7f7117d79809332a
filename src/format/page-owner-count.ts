import { FieldReader } from './machine.js'
import { PageOwnerParser } from './page-owner.js'
import type { Body, RecordFormat, RecordLines } from './record-scan.js'
import { recordReaders, type OnRecord } from './records.js'
import { ORDER_MAX, PID_MAX } from './limits.js'
import type { ByteSource, PageOwnerRecord } from './types.js'

/** What a counting reader needs of a page_owner record. */
export type PageOwnerPages = Pick<PageOwnerRecord, 'order' | 'pid' | 'tgid' | 'comm'>

/** Hex as the kernel prints it (no leading zero) in at most `most` digits. */
const hex = (most: number) => `(?:0|[1-9a-f][0-9a-f]{0,${most - 1}})`
/** `(a|b|c)` with no empty name (the schema's rule), or `()`. */
const NAMES = String.raw`\((?:[^()|\n]+(?:\|[^()|\n]+)*)?\)`

/**
 * A record's header and PFN line as today's kernels print them (v6.7 on), read as latin1: order,
 * pid, tgid and comm captured. Numbers have no leading zero and few enough digits to stay exact;
 * the comm is printable ASCII without parentheses (it reads the same in latin1 and UTF-8 and
 * cannot end early); marks follow the ts (` (swapped)`). `%pGg`, `%pGp` and the marks may hold
 * any byte but their delimiters, as PageOwnerParser's patterns allow.
 */
const FAST = new RegExp(
  String.raw`^Page allocated via order (0|[1-9]\d?), mask 0x${hex(13)}${NAMES}, pid (0|[1-9]\d{0,6}), tgid (0|[1-9]\d{0,6}) \(([ -'*-~]*)\), ts (?:0|[1-9]\d{0,18}) ns(?: \([^()\n]*\))*` +
    String.raw`\nPFN 0x${hex(13)} type [!-~]+ Block (?:0|[1-9]\d{0,14}) type [!-~]+ Flags 0x${hex(16)}${NAMES}$`,
)

/**
 * page_owner for readers that count pages (top, diff, owners, the fallback sample path): the
 * header and PFN lines of today's kernels are checked with one regular expression (native code:
 * faster than a byte loop in the seconds before the JIT warms up), with nothing decoded but
 * those two lines as latin1. Every other record, and every one this check has any doubt about (a
 * comm with parentheses or non-ASCII bytes, a number near its bound, a field out of range, an
 * older kernel's header), goes to PageOwnerParser, which accepts it or names what is wrong
 * exactly as readPageOwner does: the fast check only ever says yes to lines the full parser
 * reads the same way.
 */
export class PageOwnerCounter extends FieldReader implements RecordFormat {
  readonly starts: readonly string[]
  readonly #full: PageOwnerParser
  /** Handed to every record read the fast way: the callback reads it during the call and lets go. */
  readonly #pages: PageOwnerPages = { order: 0, pid: 0, tgid: 0, comm: '' }

  constructor(file: string) {
    super(file)
    this.#full = new PageOwnerParser(file, { validate: false })
    this.starts = this.#full.starts
  }

  record(lines: RecordLines, body: Body): PageOwnerPages {
    return this.#fast(lines) ?? this.#full.record(lines, body)
  }

  #fast({ bytes, start, end }: RecordLines): PageOwnerPages | undefined {
    const match = FAST.exec(bytes.toString('latin1', start, end))
    if (!match) return undefined
    const order = Number(match[1])
    const pid = Number(match[2])
    const tgid = Number(match[3])
    if (order > ORDER_MAX || pid > PID_MAX || tgid > PID_MAX) return undefined
    const pages = this.#pages
    pages.order = order
    pages.pid = pid
    pages.tgid = tgid
    pages.comm = match[4]!
    return pages
  }
}

const readers = recordReaders((file) => new PageOwnerCounter(file))

/**
 * Streams the page_owner file to `onRecord` with what counting needs of each record (order and
 * owner; the object is only valid during the call) and its Body (the stack: Body.key,
 * Body.frames), checked as strictly as readPageOwner; returns how many records there were.
 */
export function countPageOwner(source: ByteSource, file: string, onRecord: OnRecord<PageOwnerPages>): Promise<number> {
  return readers.read(source, file, onRecord)
}
