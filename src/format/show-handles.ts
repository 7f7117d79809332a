import { LineTooLongError, MAX_LINE_LENGTH } from './lines.js'
import { BlockMachine } from './machine.js'
import type { ByteSource, HandleCounts } from './types.js'

export const HANDLE = 'handle: '
export const PAGES = 'nr_base_pages: '

/**
 * page_owner_stacks/show_handles: `handle: N`, `nr_base_pages: N`, blank, per stack. The line
 * machine that names what is wrong; ShowHandlesScanner hands it every line it does not read itself.
 */
export class ShowHandlesMachine extends BlockMachine {
  readonly result: HandleCounts = new Map()

  constructor(file: string) {
    super(file)
  }

  protected block(lines: readonly string[], first: number): void {
    const handle = this.numberAfter(lines[0]!, HANDLE, first, 'stack handle')
    const pagesLine = lines[1]
    if (pagesLine === undefined) this.fail(first, lines[0]!, `handle ${handle} has no nr_base_pages line`)
    const pages = this.numberAfter(pagesLine, PAGES, first + 1, 'page count')
    if (lines.length > 2) this.fail(first + 2, lines[2]!, 'expected a blank line after nr_base_pages')
    // The kernel lists each stack once; a repeat means two files ran together.
    if (this.result.has(handle)) this.fail(first, lines[0]!, `handle ${handle} is listed twice`)
    this.result.set(handle, pages)
  }
}

const LF = 10
const CR = 13
const ZERO = 48
const EMPTY = Buffer.alloc(0)
const BOM = Buffer.from([0xef, 0xbb, 0xbf])
const HANDLE_BYTES = Buffer.from(HANDLE)
const PAGES_BYTES = Buffer.from(PAGES)
/** 15 decimal digits stay below 2^53, so the fast path never meets a number too large. */
const MOST_DIGITS = 15

/**
 * show_handles as bytes. It is read on every sample (once per matcher call), so each block as
 * the kernel writes it (`handle: N\nnr_base_pages: N\n\n`, plain numbers of at most 15 digits,
 * a handle not seen before) is matched byte by byte into the map, with no string made. Every
 * other line (CRLF, a BOM, extra blank lines, anything damaged, a block split between chunks)
 * is decoded and fed to ShowHandlesMachine, which reads it or names what is wrong exactly as
 * the line reader (lines.ts, machine.ts) would: the fast path only ever says yes to blocks the
 * machine reads the same way.
 */
class ShowHandlesScanner {
  readonly #machine: ShowHandlesMachine
  /** The unfinished line at the end of the last chunk (copied: the chunk may be reused). */
  #carry: Buffer = EMPTY
  /** Lines consumed so far. */
  #no = 0
  /** The machine holds no lines of an unfinished block, so the next line may start a fast one. */
  #idle = true
  /** A leading BOM is dropped, as TextDecoder drops it; text chunks come decoded, so theirs is text. */
  #bom = true

  constructor(file: string) {
    this.#machine = new ShowHandlesMachine(file)
  }

  push(chunk: Uint8Array | string): void {
    if (chunk.length === 0) return
    if (typeof chunk === 'string' && this.#no === 0 && this.#carry.length === 0) this.#bom = false
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    const buf = this.#carry.length === 0 ? bytes : Buffer.concat([this.#carry, bytes])
    const stop = this.#scan(buf)
    this.#carry = stop < buf.length ? Buffer.concat([buf.subarray(stop)]) : EMPTY
    if (this.#carry.length > MAX_LINE_LENGTH) {
      const text = this.#carry.toString('utf8') // the line reader counts characters, not bytes
      if (text.length > MAX_LINE_LENGTH) {
        const error = new LineTooLongError(text, MAX_LINE_LENGTH)
        this.#machine.fail(this.#no + 1, error.prefix, error.message)
      }
    }
  }

  end(): HandleCounts {
    const text = this.#carry.length === 0 ? '' : this.#text(this.#carry, 0, this.#carry.length)
    if (text === '') this.#machine.end(this.#no, '', true)
    else {
      this.#machine.line(text, ++this.#no)
      this.#machine.end(this.#no, text, false)
    }
    return this.#machine.result
  }

  /** Reads the whole lines in `buf` and returns where the unfinished one starts. */
  #scan(buf: Buffer): number {
    const n = buf.length
    let p = 0
    while (p < n) {
      if (this.#idle) {
        const next = this.#block(buf, p)
        if (next > 0) {
          p = next
          this.#no += 3
          continue
        }
      }
      const lf = buf.indexOf(LF, p)
      if (lf < 0) break
      const text = this.#text(buf, p, lf > p && buf[lf - 1] === CR ? lf - 1 : lf)
      this.#machine.line(text, ++this.#no)
      this.#idle = text === ''
      p = lf + 1
    }
    return p
  }

  /** One line's text, without the BOM that may open the input. */
  #text(buf: Buffer, start: number, end: number): string {
    if (this.#bom && this.#no === 0 && end - start >= BOM.length && buf.compare(BOM, 0, BOM.length, start, start + BOM.length) === 0) start += BOM.length
    return buf.toString('utf8', start, end)
  }

  /** A whole block as the kernel writes it at `p`, stored: where the next starts; else -1. */
  #block(buf: Buffer, p: number): number {
    if (this.#no === 0 && this.#bom) return -1 // the first line may hold a BOM: the machine reads it
    let at = literal(buf, p, HANDLE_BYTES)
    const handle = at < 0 ? -1 : decimal(buf, at)
    if (handle < 0) return -1
    at = literal(buf, skipDigits(buf, at) + 1, PAGES_BYTES)
    const pages = at < 0 ? -1 : decimal(buf, at)
    if (pages < 0) return -1
    at = skipDigits(buf, at)
    const result = this.#machine.result
    if (buf[at + 1] !== LF || result.has(handle)) return -1
    result.set(handle, pages)
    return at + 2
  }
}

/** Where `text` ends if it is next at `at`, else -1. */
function literal(buf: Buffer, at: number, text: Buffer): number {
  for (let i = 0; i < text.length; i++) if (buf[at + i] !== text[i]) return -1
  return at + text.length
}

/** The decimal at `at` that runs to a line break (1-15 digits, no leading zero), or -1. */
function decimal(buf: Buffer, at: number): number {
  let value = 0
  let i = at
  for (; i - at <= MOST_DIGITS; i++) {
    const digit = buf[i]! - ZERO
    if (!(digit >= 0 && digit <= 9)) break
    value = value * 10 + digit
  }
  const length = i - at
  return length === 0 || length > MOST_DIGITS || (length > 1 && buf[at] === ZERO) || buf[i] !== LF ? -1 : value
}

function skipDigits(buf: Buffer, at: number): number {
  while (buf[at] !== LF) at++
  return at
}

/** Pages per stack handle from show_handles. Stacks it omits hold 0 pages (or sit under count_threshold). */
export async function parseShowHandles(source: ByteSource, file: string): Promise<HandleCounts> {
  const scanner = new ShowHandlesScanner(file)
  for await (const chunk of source) scanner.push(chunk)
  return scanner.end()
}
