import { FieldReader } from './machine.js'
import { PageOwnerParser } from './page-owner.js'
import type { Body, RecordFormat, RecordLines } from './record-scan.js'
import { recordReaders, type OnRecord } from './records.js'
import { ORDER_MAX, PID_MAX } from './limits.js'
import type { ByteSource, PageOwnerRecord } from './types.js'

/** What a counting reader needs of a page_owner record. */
export type PageOwnerPages = Pick<PageOwnerRecord, 'order' | 'pid' | 'tgid' | 'comm'>

const HEADER = Buffer.from('Page allocated via order ')
const PFN = Buffer.from('PFN 0x')
const EMPTY = Buffer.alloc(0)
const [SPACE, OPEN, CLOSE, BAR, ZERO, NINE, A, F] = [32, 40, 41, 124, 48, 57, 97, 102]

/**
 * page_owner for readers that count pages (top, diff, owners, the fallback sample path): the
 * header and PFN lines of today's kernels (v6.7 on: `pid %d, tgid %d (%s), ts %llu ns` and marks)
 * are checked byte by byte, with nothing decoded but the comm. Every other line, and every line
 * this check has any doubt about (a comm with parentheses or non-ASCII bytes, a number near its
 * bound, a field out of range, an older kernel's header), goes to PageOwnerParser, which accepts
 * it or names what is wrong exactly as readPageOwner does: the fast check only ever says yes to
 * lines the full parser reads the same way.
 */
export class PageOwnerCounter extends FieldReader implements RecordFormat {
  readonly starts: readonly string[]
  readonly #full: PageOwnerParser
  /** Handed to every record read the fast way: the callback reads it during the call and lets go. */
  readonly #pages: PageOwnerPages = { order: 0, pid: 0, tgid: 0, comm: '' }
  /** The header bytes #pages was last read from, up to the ts (copied: the chunk is reused). */
  #ownerBytes: Buffer = EMPTY
  /** The last PFN line read the fast way, from its second ` type `. */
  #placeTail: Buffer = EMPTY
  #at = 0

  constructor(file: string) {
    super(file)
    this.#full = new PageOwnerParser(file, { validate: false })
    this.starts = this.#full.starts
  }

  record(lines: RecordLines, body: Body): PageOwnerPages {
    return this.#fast(lines) ?? this.#full.record(lines, body)
  }

  #fast({ bytes, start, split, end }: RecordLines): PageOwnerPages | undefined {
    if (!this.#owner(bytes, start, split)) return undefined
    if (this.#decimal(bytes, split, 19) < 0 || !this.#literal(bytes, NS) || !this.#marks(bytes, split)) return undefined
    return this.#place(bytes, split + 1, end) ? this.#pages : undefined
  }

  /**
   * The header up to its ts (`Page allocated via order %u, mask %#x(%pGg), pid %d, tgid %d (%s), ts `)
   * into #pages. The next record usually repeats it (the same process allocating alike), so
   * bytes equal to the last one read are taken as read, with one native compare.
   */
  #owner(bytes: Buffer, start: number, split: number): boolean {
    const known = this.#ownerBytes
    if (known.length > 0 && start + known.length < split && bytes.compare(known, 0, known.length, start, start + known.length) === 0) {
      this.#at = start + known.length
      return true
    }
    this.#at = start
    if (!this.#literal(bytes, HEADER)) return false
    const order = this.#decimal(bytes, split, 2)
    if (order < 0 || order > ORDER_MAX || !this.#literal(bytes, MASK) || this.#hex(bytes, split, 13) < 0 || !this.#names(bytes, split)) return false
    if (!this.#literal(bytes, PID)) return false
    const pid = this.#decimal(bytes, split, 7)
    if (pid < 0 || pid > PID_MAX || !this.#literal(bytes, TGID)) return false
    const tgid = this.#decimal(bytes, split, 7)
    if (tgid < 0 || tgid > PID_MAX || !this.#literal(bytes, COMM)) return false
    const commStart = this.#at
    while (this.#at < split && plainCommByte(bytes[this.#at]!)) this.#at++
    const commEnd = this.#at
    if (!this.#literal(bytes, TS)) return false
    const pages = this.#pages
    pages.order = order
    pages.pid = pid
    pages.tgid = tgid
    pages.comm = bytes.toString('latin1', commStart, commEnd)
    this.#ownerBytes = Buffer.from(bytes.subarray(start, this.#at))
    return true
  }

  /**
   * `PFN 0x%lx type %s Block %lu type %s Flags %#lx(%pGp)`, the whole line. What follows the
   * block number usually repeats the last record's, which one native compare then checks.
   */
  #place(bytes: Buffer, start: number, end: number): boolean {
    this.#at = start
    if (!(this.#literal(bytes, PFN) && this.#hex(bytes, end, 13) >= 0 && this.#literal(bytes, TYPE) && this.#word(bytes, end) &&
      this.#literal(bytes, BLOCK) && this.#decimal(bytes, end, 15) >= 0)) return false
    const tail = this.#at
    const known = this.#placeTail
    if (known.length === end - tail && bytes.compare(known, 0, known.length, tail, end) === 0) return true
    if (!(this.#literal(bytes, TYPE) && this.#word(bytes, end) && this.#literal(bytes, FLAGS) && this.#hex(bytes, end, 16) >= 0 && this.#names(bytes, end) && this.#at === end)) return false
    this.#placeTail = Buffer.from(bytes.subarray(tail, end))
    return true
  }

  /** `text` next (a short literal: a loop beats a native call at this size). */
  #literal(bytes: Buffer, text: Buffer): boolean {
    const at = this.#at
    for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text[i]) return false
    this.#at = at + text.length
    return true
  }

  /** A decimal of at most `digits` digits without a leading zero, or -1. */
  #decimal(bytes: Buffer, end: number, digits: number): number {
    return this.#digits(bytes, end, digits, 10)
  }

  #hex(bytes: Buffer, end: number, digits: number): number {
    return this.#digits(bytes, end, digits, 16)
  }

  #digits(bytes: Buffer, end: number, most: number, base: 10 | 16): number {
    const from = this.#at
    let value = 0
    for (; this.#at < end; this.#at++) {
      const code = bytes[this.#at]!
      const digit = code >= ZERO && code <= NINE ? code - ZERO : base === 16 && code >= A && code <= F ? code - A + 10 : -1
      if (digit < 0) break
      value = value * base + digit
    }
    const length = this.#at - from
    return length === 0 || length > most || (length > 1 && bytes[from] === ZERO) ? -1 : value
  }

  /** `(a|b|c)` with no empty name (the schema's rule), or `()`. */
  #names(bytes: Buffer, end: number): boolean {
    if (bytes[this.#at] !== OPEN) return false
    const from = ++this.#at
    let previous = BAR
    for (; this.#at < end; this.#at++) {
      const code = bytes[this.#at]!
      if (code === CLOSE) break
      if (code === OPEN || (code === BAR && previous === BAR)) return false
      previous = code
    }
    if (this.#at === end || (this.#at > from && previous === BAR)) return false
    this.#at++
    return true
  }

  /** A word of printable ASCII (the `\S+` of the PFN line), up to the next space. */
  #word(bytes: Buffer, end: number): boolean {
    const from = this.#at
    while (this.#at < end && bytes[this.#at]! > SPACE && bytes[this.#at]! < 127) this.#at++
    return this.#at > from && bytes[this.#at] === SPACE
  }

  /** ` (mark)` as often as it comes, to the end of the line. */
  #marks(bytes: Buffer, end: number): boolean {
    while (this.#at < end) {
      if (bytes[this.#at] !== SPACE || bytes[this.#at + 1] !== OPEN) return false
      this.#at++
      while (++this.#at < end && bytes[this.#at] !== CLOSE) if (bytes[this.#at] === OPEN) return false
      if (this.#at === end) return false
      this.#at++
    }
    return true
  }
}

const MASK = Buffer.from(', mask 0x')
const PID = Buffer.from(', pid ')
const TGID = Buffer.from(', tgid ')
const COMM = Buffer.from(' (')
const TS = Buffer.from('), ts ')
const NS = Buffer.from(' ns')
const TYPE = Buffer.from(' type ')
const BLOCK = Buffer.from(' Block ')
const FLAGS = Buffer.from(' Flags 0x')

/** A comm byte that reads the same in latin1 and UTF-8 and cannot end the comm early: printable ASCII but parentheses. */
function plainCommByte(code: number): boolean {
  return code >= SPACE && code < 127 && code !== OPEN && code !== CLOSE
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
