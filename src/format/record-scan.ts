import { FrameCache } from './frame.js'
import { LineTooLongError, MAX_LINE_LENGTH } from './lines.js'
import type { FieldReader } from './machine.js'
import { stackKey } from './stack-key.js'
import type { Frame } from './types.js'

const LF = 10
const CR = 13
const BLANK = Buffer.from('\n\n')
const EMPTY = Buffer.alloc(0)
const CR_BYTE = Buffer.from([CR])
const BOM = Buffer.from([0xef, 0xbb, 0xbf])
/** Past this many distinct bodies the cache starts over rather than grow without bound (as FrameCache). */
const BODY_LIMIT = 100_000

/**
 * A record's lines after its two header lines (frames, and lines that are not frames), parsed
 * once per distinct text: a per-page file repeats a few hundred stacks over millions of records,
 * so every record that repeats a body shares this one object, and its stack is hashed once.
 */
export class Body {
  readonly frames: readonly Frame[]
  readonly other: readonly string[]
  /** How many lines the body has. */
  readonly lines: number
  /** Its bytes, for telling the next record's body apart without searching it. */
  readonly bytes: Buffer
  #key: number | undefined

  constructor(frames: readonly Frame[], other: readonly string[], lines: number, bytes: Buffer) {
    this.frames = Object.freeze(frames)
    this.other = Object.freeze(other)
    this.lines = lines
    this.bytes = bytes
  }

  /** The stack's key (stack-key.ts: the hash of its frames' text), computed on first use. */
  get key(): number {
    return (this.#key ??= stackKey(this.frames))
  }
}

/** The record format the scanner splits: its file and fail(), and the prefixes of a record's first two lines. */
export interface RecordFormat extends FieldReader {
  readonly starts: readonly string[]
}

/**
 * One record's two header lines, as bytes: the header is `bytes[start, split)`, the second line
 * `bytes[split + 1, end)`. Only valid during the call it is handed to.
 */
export interface RecordLines {
  bytes: Buffer
  start: number
  split: number
  end: number
  /** The header's line number. */
  first: number
}

export type OnScanned = (lines: RecordLines, body: Body) => void

/**
 * page_owner and swap_page_owner as bytes: per record a header line, a second line (PFN, SWP
 * entry), a body, and a blank line. These files run to gigabytes, so nothing here decodes or
 * splits the whole text: blocks are found with native byte searches, the two header lines are
 * decoded, and the body is looked up by its bytes (first compared with the previous record's,
 * which it usually repeats) and parsed only the first time it is seen.
 *
 * It reads exactly as the line machines (machine.ts) read text: `\r\n` is a line break, a leading
 * UTF-8 BOM is dropped, extra blank lines between records are skipped, and every ParseError names
 * the line the line reader would. Memory stays flat: the unfinished record at a chunk's end is the
 * only text carried, and a record longer than MAX_LINE_LENGTH is refused (the kernel formats
 * each into one page).
 */
export class RecordScanner {
  readonly #format: RecordFormat
  readonly #onRecord: OnScanned
  /** Reused for every record: the callback reads it and lets go. */
  readonly #lines: RecordLines = { bytes: EMPTY, start: 0, split: 0, end: 0, first: 0 }
  readonly #frames = new FrameCache()
  /** Bodies by sampleHash of their bytes; a hash may stand for several, told apart by their bytes. */
  readonly #bodies = new Map<number, Body[]>()
  #bodyCount = 0
  #last: Body | undefined
  /** Lines consumed so far: the next line is number `#no + 1`. */
  #no = 0
  /** The unfinished record at the end of the last chunk (never holds a blank line). */
  #pending: Buffer = EMPTY
  /** A CR ended the last chunk: it is a line break's if the next chunk starts with LF. */
  #cr = false
  /** The first bytes, held until there are enough to tell whether they are a BOM. */
  #head: Buffer | undefined = EMPTY

  constructor(format: RecordFormat, onRecord: OnScanned) {
    this.#format = format
    this.#onRecord = onRecord
  }

  push(chunk: Uint8Array | string): void {
    if (typeof chunk === 'string') {
      this.#flushHead() // text comes decoded: a BOM in it is text
      return this.#take(Buffer.from(chunk))
    }
    let bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    if (this.#head) {
      // Not concat with an empty head: copying the first chunk costs more than scanning it.
      if (this.#head.length > 0) bytes = Buffer.concat([this.#head, bytes])
      if (bytes.length < BOM.length && BOM.subarray(0, bytes.length).equals(bytes)) return void (this.#head = bytes)
      if (bytes.subarray(0, BOM.length).equals(BOM)) bytes = bytes.subarray(BOM.length)
      this.#head = undefined
    }
    this.#take(bytes)
  }

  /** End of input: a ParseError if it stopped inside a record. */
  end(): void {
    this.#flushHead()
    if (this.#cr) {
      this.#cr = false
      this.#take(CR_BYTE, true) // a CR that ended the input stays in its line
    }
    const rest = this.#pending
    if (rest.length === 0) return
    // `rest` starts a record and holds no blank line: the lines after the last complete record.
    const lines = rest.toString('utf8').split('\n')
    const newline = lines[lines.length - 1] === ''
    if (newline) lines.pop()
    const no = this.#no + lines.length
    const last = lines[lines.length - 1]!
    if (!newline) this.#format.fail(no, last, 'the last line has no line break: the file was probably cut short')
    this.#format.fail(no, last, `the file ends inside the record that starts at line ${this.#no + 1} (no blank line after it)`)
  }

  /** Bytes held for the BOM check (fewer than a BOM, and a prefix of one) are text after all. */
  #flushHead(): void {
    const head = this.#head
    this.#head = undefined
    if (head) this.#take(head)
  }

  #take(chunk: Buffer, final = false): void {
    let bytes = this.#normalize(chunk, final)
    if (bytes.length === 0) return
    if (this.#pending.length > 0) {
      // Finish the carried record with the head of this chunk, so the chunk itself is not copied.
      const straddles = this.#pending[this.#pending.length - 1] === LF && bytes[0] === LF
      const blank = straddles ? 0 : bytes.indexOf(BLANK)
      if (blank < 0) {
        this.#pending = Buffer.concat([this.#pending, bytes])
        return this.#checkLength()
      }
      const end = straddles ? 1 : blank + 2
      this.#scan(Buffer.concat([this.#pending, bytes.subarray(0, end)])) // ends with its blank line: scanned whole
      bytes = bytes.subarray(end)
    }
    const stop = this.#scan(bytes)
    this.#pending = stop < bytes.length ? Buffer.concat([bytes.subarray(stop)]) : EMPTY // a copy: the chunk may be reused
    this.#checkLength()
  }

  /** Reads the whole records in `buf` and returns where the unfinished one starts. */
  #scan(buf: Buffer): number {
    const n = buf.length
    let p = 0
    for (;;) {
      while (p < n && buf[p] === LF) {
        p++
        this.#no++
      }
      const h = buf.indexOf(LF, p)
      if (h < 0 || h + 1 >= n) return p
      const first = this.#no + 1
      if (buf[h + 1] === LF) this.#format.fail(first, buf.toString('utf8', p, h), 'a record needs a header line and a second line before its frames')
      const q = buf.indexOf(LF, h + 1)
      if (q < 0 || q + 1 >= n) return p
      // The body is [q + 1, end): `end` is the line break before the blank line.
      let end = q
      let body = this.#last
      if (buf[q + 1] !== LF) {
        const length = body?.bytes.length ?? 0
        if (body && q + 2 + length < n && buf[q + 1 + length] === LF && buf[q + 2 + length] === LF && buf.compare(body.bytes, 0, length, q + 1, q + 1 + length) === 0) {
          end = q + 1 + length
        } else {
          end = buf.indexOf(BLANK, q + 1)
          if (end < 0) return p
          body = this.#body(buf, q + 1, end, first + 2)
        }
      } else {
        body = this.#body(buf, q + 1, q + 1, first + 2)
      }
      const lines = this.#lines
      lines.bytes = buf
      lines.start = p
      lines.split = h
      lines.end = q
      lines.first = first
      this.#onRecord(lines, body!)
      this.#no = first + 2 + body!.lines
      p = end + 2
    }
  }

  #body(buf: Buffer, start: number, end: number, no: number): Body {
    const hash = sampleHash(buf, start, end)
    const length = end - start
    let bucket = this.#bodies.get(hash)
    let body: Body | undefined
    for (const known of bucket ?? []) {
      if (known.bytes.length === length && buf.compare(known.bytes, 0, length, start, end) === 0) body = known
    }
    if (!body) {
      body = this.#parseBody(buf.toString('utf8', start, end), no, Buffer.concat([buf.subarray(start, end)]))
      if (this.#bodyCount++ >= BODY_LIMIT) {
        this.#bodies.clear()
        this.#bodyCount = 1
        bucket = undefined
      }
      if (bucket) bucket.push(body)
      else this.#bodies.set(hash, [body])
    }
    this.#last = body
    return body
  }

  #parseBody(text: string, no: number, bytes: Buffer): Body {
    const lines = text === '' ? [] : text.split('\n')
    const frames: Frame[] = []
    const other: string[] = []
    lines.forEach((line, i) => {
      const frame = this.#frames.parse(line)
      if (frame) frames.push(frame)
      else if (isIndented(line)) this.#format.fail(no + i, line, 'not a stack frame (function+0xoffset/0xsize)')
      else if (this.#format.starts.some((start) => line.startsWith(start))) {
        this.#format.fail(no + i, line, 'a record starts here without the blank line that ends the one before')
      } else other.push(line)
    })
    return new Body(frames, other, lines.length, bytes)
  }

  /** `\r\n` as `\n`, as the line reader splits; a CR at the end waits for the next chunk's first byte. */
  #normalize(bytes: Buffer, final: boolean): Buffer {
    if (this.#cr) {
      if (bytes.length === 0) return bytes
      this.#cr = false
      if (bytes[0] !== LF) bytes = Buffer.concat([CR_BYTE, bytes])
    }
    if (bytes.indexOf(CR) < 0) return bytes
    const kept = Buffer.allocUnsafe(bytes.length)
    let k = 0
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!
      if (byte === CR && !final && i + 1 === bytes.length) this.#cr = true
      else if (byte !== CR || bytes[i + 1] !== LF) kept[k++] = byte
    }
    return kept.subarray(0, k)
  }

  /** A kernel record fits in a page; this much text without a blank line is not page_owner. */
  #checkLength(): void {
    const pending = this.#pending
    if (pending.length <= MAX_LINE_LENGTH) return
    const lastBreak = pending.lastIndexOf(LF)
    let lines = 0
    for (let at = pending.indexOf(LF); at >= 0; at = pending.indexOf(LF, at + 1)) lines++
    if (pending.length - lastBreak - 1 > MAX_LINE_LENGTH) {
      const error = new LineTooLongError(pending.toString('utf8', lastBreak + 1, lastBreak + 1 + 480), MAX_LINE_LENGTH)
      this.#format.fail(this.#no + lines + 1, error.prefix, error.message)
    }
    const header = pending.toString('utf8', 0, Math.min(pending.indexOf(LF), 480))
    this.#format.fail(this.#no + 1, header, `a record longer than ${MAX_LINE_LENGTH} bytes without a blank line: not a page_owner file`)
  }
}

/**
 * A hash of every third byte and the length: enough to spread a file's few thousand bodies
 * (their frames differ in names and offsets all along) while reading a third of the bytes, and
 * no string is made per record. Equal hashes are told apart by comparing the bytes.
 */
function sampleHash(buf: Buffer, start: number, end: number): number {
  let hash = end - start
  for (let i = start; i < end; i += 3) hash = Math.imul(hash ^ buf[i]!, 0x9e3779b1)
  return hash ^ (hash >>> 15)
}

/** The kernel indents frames and nothing else, so an indented line that is no frame is damage. */
function isIndented(line: string): boolean {
  const code = line.charCodeAt(0)
  return code === 32 || code === 9
}
