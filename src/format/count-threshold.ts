import { ParseError } from '../errors.js'
import { parse, type ResultMachine } from './machine.js'
import { unsignedAt } from './numbers.js'
import type { ByteSource } from './types.js'

/**
 * page_owner_stacks/count_threshold: one integer (the kernel prints `%llu\n`). Blank space
 * around it is tolerated, since people write this file by hand with echo.
 */
export class CountThresholdMachine implements ResultMachine<number> {
  readonly file: string
  #value: number | undefined

  constructor(file: string) {
    this.file = file
  }

  get result(): number {
    return this.#value ?? Number.NaN // end() has thrown when there is no value
  }

  line(text: string, no: number): void {
    const value = text.trim()
    if (value === '') return
    if (this.#value !== undefined) throw new ParseError(this.file, no, text, 'expected one number, found a second line')
    const threshold = unsignedAt(value, 0, value.length, 10)
    if (threshold === Number.POSITIVE_INFINITY) throw new ParseError(this.file, no, text, 'count_threshold is too large')
    if (Number.isNaN(threshold)) throw new ParseError(this.file, no, text, 'count_threshold should be a non-negative decimal integer')
    this.#value = threshold
  }

  end(no: number, text: string): void {
    if (this.#value === undefined) throw new ParseError(this.file, Math.max(no, 1), text, 'expected a number, found none')
  }
}

/** The stack count threshold under which show_stacks and show_handles hide stacks. */
export function parseCountThreshold(source: ByteSource, file: string): Promise<number> {
  return parse(source, new CountThresholdMachine(file))
}
