import type { z } from 'zod'
import { FieldReader } from './machine.js'
import { U64_MAX } from './numbers.js'
import { RecordScanner, type Body, type RecordFormat, type RecordLines } from './record-scan.js'
import type { ByteSource, SwapPageOwnerRecord } from './types.js'

export interface RecordOptions {
  /**
   * Check every record with its fields' zod schema, and each record body's frames (default
   * true): records that leave as data pass the contract. Readers that only count (top, owners,
   * the fallback sample path) turn it off: the parser then checks the ranges itself and runs the
   * schema only on a record that fails them, so a bad record still fails with the schema's own message.
   */
  validate?: boolean
}

export type Schemas = typeof import('./schema.js')

/** zod takes ~0.2 s to load (schema.ts), so only a reader that runs it on every record loads it up front. */
function loadSchemas(): Promise<Schemas> {
  return import('./schema.js')
}

/**
 * Thrown by a counting reader's record() out of range; the reader loads zod to word the
 * ParseError. Thrown itself only if the schema passes the record after all.
 */
class OutOfRange extends Error {
  readonly explain: () => Promise<void>

  constructor(explain: () => Promise<void>) {
    super('a record failed the range check but passed its schema: limits.ts and schema.ts disagree')
    this.explain = explain
  }
}

/**
 * page_owner and swap_page_owner: per record a header line, a second line (PFN, SWP entry),
 * frames, maybe lines a newer kernel added, and a blank line. The blank line is required, since a
 * record cut after any frame still looks whole. RecordScanner finds the records in the bytes;
 * a parser turns one into typed data.
 */
export abstract class RecordParser<R> extends FieldReader implements RecordFormat {
  readonly starts: readonly string[]
  readonly #fields: (schemas: Schemas) => z.ZodType
  readonly #inRange: (record: R) => boolean
  readonly #validate: boolean
  /** Loaded by prepare() when every record is checked. */
  #schemas: Schemas | undefined
  /** Bodies whose frames passed FrameSchema: records of one stack share their body. */
  readonly #checked = new WeakSet<Body>()

  /**
   * `starts`: prefixes of a record's first two lines; met inside a body, they mean two records
   * ran together. `fields`: the zod schema of a record's own fields; `inRange`: true only for
   * records the schema passes, cheaply (limits.ts, beside the schemas of schema.ts).
   */
  constructor(file: string, starts: readonly string[], fields: (schemas: Schemas) => z.ZodType, inRange: (record: R) => boolean, options: RecordOptions) {
    super(file)
    this.starts = starts
    this.#fields = fields
    this.#inRange = inRange
    this.#validate = options.validate ?? true
  }

  /** Loads zod if every record is to be checked with it. */
  async prepare(): Promise<void> {
    if (this.#validate) this.#schemas = await loadSchemas()
  }

  /** The record from its two header lines and its body. */
  protected abstract parse(header: string, second: string, body: Body, first: number): R

  /** One record, checked: a ParseError at `first` if it is out of range. */
  record({ bytes, start, split, end, first }: RecordLines, body: Body): R {
    const header = bytes.toString('utf8', start, split)
    const record = this.parse(header, bytes.toString('utf8', split + 1, end), body, first)
    const schemas = this.#schemas
    if (schemas) {
      this.#check(schemas, record, first, header)
      if (!this.#checked.has(body)) {
        const frames = schemas.FramesSchema.safeParse(body.frames)
        if (!frames.success) this.#outOfRange(frames.error, first, header, 'frames.')
        this.#checked.add(body)
      }
    } else if (!this.#inRange(record)) {
      throw new OutOfRange(async () => this.#check(await loadSchemas(), record, first, header))
    }
    return record
  }

  #check(schemas: Schemas, record: R, first: number, header: string): void {
    const checked = this.#fields(schemas).safeParse(record)
    if (!checked.success) this.#outOfRange(checked.error, first, header)
  }

  #outOfRange(error: z.ZodError, first: number, header: string, prefix = ''): never {
    const issue = error.issues[0]
    this.fail(first, header, `record out of range: ${prefix}${issue?.path.join('.')}: ${issue?.message}`)
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
export function recordReaders<R>(
  parser: (file: string, options: RecordOptions) => RecordFormat & { record: (lines: RecordLines, body: Body) => R; prepare?: () => Promise<void> },
) {
  /** Streams `source` through a scanner, handing each chunk's records to `onRecord`; returns how many. */
  async function* scan(source: ByteSource, file: string, options: RecordOptions, onRecord: OnRecord<R>): AsyncGenerator<number, void, undefined> {
    const records = parser(file, options)
    await records.prepare?.()
    let count = 0
    const scanner = new RecordScanner(records, (lines, body) => {
      const record = records.record(lines, body)
      count++
      onRecord(record, body)
    })
    try {
      for await (const chunk of source) {
        scanner.push(chunk)
        yield count
      }
      scanner.end()
    } catch (error) {
      if (error instanceof OutOfRange) await error.explain()
      throw error
    }
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
