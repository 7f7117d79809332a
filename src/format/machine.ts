import { ParseError } from '../errors.js'
import { LineTooLongError, splitLines } from './lines.js'
import { unsignedAt } from './numbers.js'
import type { ByteSource } from './types.js'

/**
 * A parser as a synchronous state machine fed one line at a time, so that one driver (feed)
 * serves every format, and callers with lines of their own can feed a machine directly.
 */
export interface LineMachine {
  /** The file name that ParseErrors carry. */
  readonly file: string
  /** One line without its line break; `no` is its 1-based line number. */
  line(text: string, no: number): void
  /**
   * End of input. `no` and `text` are the last line's (0 and '' for empty input); `newline` says
   * whether it had a line break. Throws a ParseError if the input stopped inside a record.
   */
  end(no: number, text: string, newline: boolean): void
}

/** A machine that gathers what it parses in `result`. */
export interface ResultMachine<R> extends LineMachine {
  readonly result: R
}

/** Feeds `source` to `machine`, pausing after each chunk's lines (so a caller can hand on records). */
export async function* feed(source: ByteSource, machine: LineMachine): AsyncGenerator<void, void, undefined> {
  const batches = splitLines(source)
  let no = 0
  let last = ''
  for (;;) {
    let step: IteratorResult<string[], boolean>
    try {
      step = await batches.next()
    } catch (error) {
      if (error instanceof LineTooLongError) throw new ParseError(machine.file, no + 1, error.prefix, error.message)
      throw error
    }
    if (step.done) return machine.end(no, last, step.value)
    for (const text of step.value) machine.line(text, ++no)
    last = step.value[step.value.length - 1] ?? last
    yield
  }
}

/** Feeds all of `source` to `machine` and returns what it gathered. */
export async function parse<R>(source: ByteSource, machine: ResultMachine<R>): Promise<R> {
  for await (const _ of feed(source, machine));
  return machine.result
}

/**
 * Records as an async generator, from a machine that hands them to a callback: the records of
 * each chunk are collected, then yielded, so the generator costs one await per record at most.
 */
export async function* generate<R>(
  source: ByteSource,
  machine: (emit: (record: R) => void) => LineMachine,
): AsyncGenerator<R, void, undefined> {
  const pending: R[] = []
  for await (const _ of feed(source, machine((record) => pending.push(record)))) {
    yield* pending
    pending.length = 0
  }
  yield* pending // records completed by end of input
}

/**
 * What every parser does with a field it took from a line: fail with a ParseError that names the
 * file, the line and what is wrong, or read a number the way the kernel prints it.
 */
export abstract class FieldReader {
  readonly file: string

  constructor(file: string) {
    this.file = file
  }

  fail(no: number, text: string, problem: string): never {
    throw new ParseError(this.file, no, text, problem)
  }

  /**
   * `digits` as a number (decimal, or hex without its `0x`), or a ParseError naming `what`.
   * Above 2^53 (a ts after 104 days of uptime) it is the nearest double, as the schemas promise.
   */
  number(digits: string, no: number, line: string, what: string, base: 10 | 16 = 10, max?: number): number {
    const value = unsignedAt(digits, 0, digits.length, base, max)
    if (value === Number.POSITIVE_INFINITY) this.fail(no, line, `${what} is too large`)
    if (Number.isNaN(value)) {
      const kind = base === 10 ? 'a non-negative decimal integer' : 'a hexadecimal number'
      this.fail(no, line, `${what} should be ${kind}, not "${digits}"`)
    }
    // unsignedAt rounds its running sum at every digit past 2^53, which can miss the nearest
    // double; Number() rounds once, and is safe on digits unsignedAt has checked.
    return value > Number.MAX_SAFE_INTEGER ? Number(base === 10 ? digits : `0x${digits}`) : value
  }

  /** The number after `prefix` to the end of the line, which must start with `prefix`. */
  numberAfter(line: string, prefix: string, no: number, what: string): number {
    if (!line.startsWith(prefix)) this.fail(no, line, `expected "${prefix}N" (${what})`)
    return this.number(line.slice(prefix.length), no, line, what)
  }
}

/**
 * The stack lists (show_handles, show_stacks, show_stacks_handles) are lists of blocks separated
 * by blank lines (one stack a block). This machine gathers a block's lines and hands them to
 * `block`. (page_owner and swap_page_owner share the shape but are read as bytes, record-scan.ts.)
 *
 * Extra blank lines between blocks are tolerated: they cannot change what a file says. A last
 * line without a line break is an error: it is how a file cut inside a number looks. `block`
 * checks that its last line is the one that ends a stack (`nr_base_pages: N`, `handle: N`).
 */
export abstract class BlockMachine extends FieldReader implements LineMachine {
  readonly #lines: string[] = []
  #first = 0

  /** One block: its lines (only valid during the call) and the line number of the first. */
  protected abstract block(lines: readonly string[], first: number): void

  line(text: string, no: number): void {
    if (text !== '') {
      if (this.#lines.length === 0) this.#first = no
      this.#lines.push(text)
    } else if (this.#lines.length > 0) {
      this.block(this.#lines, this.#first)
      this.#lines.length = 0
    }
  }

  end(no: number, text: string, newline: boolean): void {
    if (!newline) this.fail(no, text, 'the last line has no line break: the file was probably cut short')
    if (this.#lines.length === 0) return
    this.block(this.#lines, this.#first)
    this.#lines.length = 0
  }
}
