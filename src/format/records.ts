import type { z } from 'zod'
import { FieldReader } from './machine.js'
import { U64_MAX } from './numbers.js'
import { RecordScanner, type Body, type RecordFormat, type RecordLines } from './record-scan.js'
import type { ByteSource, SwapPageOwnerRecord } from './types.js'

export interface RecordOptions {
  /**
   * Check every record with its fields' zod schema (default true): records that leave as data
   * pass the contract. Readers that only count (top, owners, the fallback sample path) turn it
   * off: the parser then checks the ranges itself and runs the schema only on a record that
   * fails them, so a bad record still fails with the schema's own message.
   */
  validate?: boolean
}

/**
 * page_owner and swap_page_owner: per record a header line, a second line (PFN, SWP entry),
 * frames, maybe lines a newer kernel added, and a blank line. The blank line is required, since a
 * record cut after any frame still looks whole. RecordScanner finds the records in the bytes;
 * a parser turns one into typed data.
 */
export abstract class RecordParser<R> extends FieldReader implements RecordFormat {
  readonly starts: readonly string[]
  readonly #fields: z.ZodType
  readonly #inRange: (record: R) => boolean
  readonly #validate: boolean

  /**
   * `starts`: prefixes of a record's first two lines; met inside a body, they mean two records
   * ran together. `fields`: the zod schema of a record's own fields; `inRange`: true only for
   * records the schema passes, cheaply (schema.ts keeps the two side by side).
   */
  constructor(file: string, starts: readonly string[], fields: z.ZodType, inRange: (record: R) => boolean, options: RecordOptions) {
    super(file)
    this.starts = starts
    this.#fields = fields
    this.#inRange = inRange
    this.#validate = options.validate ?? true
  }

  /** The record from its two header lines and its body. */
  protected abstract parse(header: string, second: string, body: Body, first: number): R

  /** One record, checked: a ParseError at `first` if it is out of range. */
  record({ bytes, start, split, end, first }: RecordLines, body: Body): R {
    const header = bytes.toString('utf8', start, split)
    const record = this.parse(header, bytes.toString('utf8', split + 1, end), body, first)
    if (this.#validate || !this.#inRange(record)) {
      const checked = this.#fields.safeParse(record)
      if (!checked.success) {
        const issue = checked.error.issues[0]
        this.fail(first, header, `record out of range: ${issue?.path.join('.')}: ${issue?.message}`)
      }
    }
    return record
  }

  /** `pattern` matched against `line`, or a ParseError naming `shape`. */
  protected match(pattern: RegExp, line: string, no: number, shape: string): RegExpExecArray {
    return pattern.exec(line) ?? this.fail(no, line, `expected ${shape}`)
  }

  /** The owner fields of a header line; tgid is pid where the kernel prints none, comm '' likewise. */
  protected owner(header: string, first: number, [pid, tgid, comm, ts]: Array<string | undefined>): Owner {
    const id = this.number(pid!, first, header, 'pid')
    return {
      pid: id,
      tgid: tgid === undefined ? id : this.number(tgid, first, header, 'tgid'),
      comm: comm ?? '',
      ts: this.number(ts!, first, header, 'ts', 10, U64_MAX),
    }
  }
}

type Owner = Pick<SwapPageOwnerRecord, 'pid' | 'tgid' | 'comm' | 'ts'>

/** Each record with the body it shares with every record of the same stack (Body.key, Body.frames). */
export type OnRecord<R> = (record: R, body: Body) => void

/** The two ways to read a record file: a callback (fastest) and an async generator. */
export function recordReaders<R>(parser: (file: string, options: RecordOptions) => RecordFormat & { record: (lines: RecordLines, body: Body) => R }) {
  /** Streams `source` through a scanner, handing each chunk's records to `onRecord`; returns how many. */
  async function* scan(source: ByteSource, file: string, options: RecordOptions, onRecord: OnRecord<R>): AsyncGenerator<number, void, undefined> {
    const records = parser(file, options)
    let count = 0
    const scanner = new RecordScanner(records, (lines, body) => {
      const record = records.record(lines, body)
      count++
      onRecord(record, body)
    })
    for await (const chunk of source) {
      scanner.push(chunk)
      yield count
    }
    scanner.end()
    yield count
  }
  return {
    /** Streams the records to `onRecord` and returns how many there were. */
    read: async (source: ByteSource, file: string, onRecord: OnRecord<R>, options: RecordOptions = {}): Promise<number> => {
      let count = 0
      for await (count of scan(source, file, options, onRecord));
      return count
    },
    /** The records as an async generator (one await per chunk of records, not per record). */
    records: async function* (source: ByteSource, file: string, options: RecordOptions = {}): AsyncGenerator<R, void, undefined> {
      const pending: R[] = []
      for await (const _ of scan(source, file, options, (record) => pending.push(record))) {
        yield* pending
        pending.length = 0
      }
    },
  }
}
