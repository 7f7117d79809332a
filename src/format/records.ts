import type { z } from 'zod'
import { FrameCache } from './frame.js'
import { BlockMachine, generate, parse, type ResultMachine } from './machine.js'
import { U64_MAX } from './numbers.js'
import type { ByteSource, Frame, SwapPageOwnerRecord } from './types.js'

export interface RecordOptions {
  /**
   * Check each record's own fields with its zod schema (default true): about a third more time
   * on a large page_owner file. Frames are checked once per distinct frame line either way.
   */
  validate?: boolean
}

/** A record's lines after its two header lines: frames, and the lines that are not frames. */
export interface RecordBody {
  frames: Frame[]
  other: string[]
}

/**
 * page_owner and swap_page_owner: per record a header line, a second line (PFN, SWP entry),
 * frames, maybe lines a newer kernel added, and a blank line. The blank line is required, since a
 * record cut after any frame still looks whole. Records go to a callback as they complete, so a
 * file of any size streams through in constant memory; `result` counts them.
 */
export abstract class RecordMachine<R> extends BlockMachine implements ResultMachine<number> {
  readonly #cache = new FrameCache()
  #count = 0
  readonly #emit: (record: R) => void
  readonly #starts: readonly string[]
  readonly #fields: z.ZodType | undefined

  /**
   * `starts`: prefixes of a record's first two lines; met inside a body, they mean two records
   * ran together. `fields`: the zod schema of a record's own fields.
   */
  constructor(file: string, emit: (record: R) => void, starts: readonly string[], fields: z.ZodType, options: RecordOptions) {
    super(file, true)
    this.#emit = emit
    this.#starts = starts
    this.#fields = options.validate === false ? undefined : fields
  }

  /** The record from its header lines and body. */
  protected abstract record(lines: readonly string[], first: number, body: RecordBody): R

  /** `pattern` matched against line `index` of the block, or a ParseError naming `shape`. */
  protected match(pattern: RegExp, lines: readonly string[], index: number, first: number, shape: string): RegExpExecArray {
    const line = lines[index]!
    return pattern.exec(line) ?? this.fail(first + index, line, `expected ${shape}`)
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

  protected block(lines: readonly string[], first: number): void {
    if (lines.length < 2) this.fail(first, lines[0]!, 'a record needs a header line and a second line before its frames')
    const record = this.record(lines, first, this.#body(lines, first))
    const checked = this.#fields?.safeParse(record)
    if (checked?.success === false) {
      const issue = checked.error.issues[0]
      this.fail(first, lines[0]!, `record out of range: ${issue?.path.join('.')}: ${issue?.message}`)
    }
    this.#count++
    this.#emit(record)
  }

  get result(): number {
    return this.#count
  }

  #body(lines: readonly string[], first: number): RecordBody {
    const body: RecordBody = { frames: [], other: [] }
    for (let i = 2; i < lines.length; i++) {
      const line = lines[i]!
      const frame = this.#cache.parse(line)
      if (frame) body.frames.push(frame)
      else if (isIndented(line)) this.fail(first + i, line, 'not a stack frame (function+0xoffset/0xsize)')
      else if (this.#starts.some((start) => line.startsWith(start))) {
        this.fail(first + i, line, 'a record starts here without the blank line that ends the one before')
      } else body.other.push(line)
    }
    return body
  }
}

type Owner = Pick<SwapPageOwnerRecord, 'pid' | 'tgid' | 'comm' | 'ts'>

/** The two ways to read a record file: a callback (fastest) and an async generator. */
export function recordReaders<R>(machine: (file: string, emit: (record: R) => void, options?: RecordOptions) => RecordMachine<R>) {
  return {
    /** Streams the records to `onRecord` and returns how many there were. */
    read: (source: ByteSource, file: string, onRecord: (record: R) => void, options?: RecordOptions): Promise<number> =>
      parse(source, machine(file, onRecord, options)),
    /** The records as an async generator (one await per chunk of records, not per record). */
    records: (source: ByteSource, file: string, options?: RecordOptions): AsyncGenerator<R, void, undefined> =>
      generate(source, (emit) => machine(file, emit, options)),
  }
}

/** The kernel indents frames and nothing else, so an indented line that is no frame is damage. */
function isIndented(line: string): boolean {
  const code = line.charCodeAt(0)
  return code === 32 || code === 9
}
