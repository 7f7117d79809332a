import type { ByteSource } from './types.js'

/**
 * Kernel lines are short (page_owner formats a whole record into one page), so a line this long
 * means the input is not text from debugfs; stopping here keeps a garbage stream from growing one
 * string until V8 gives up with an unhelpful RangeError.
 */
export const MAX_LINE_LENGTH = 1 << 20

/** Thrown by splitLines when a line outgrows its limit; the parsers turn it into a ParseError. */
export class LineTooLongError extends RangeError {
  /** The start of the overlong line. */
  readonly prefix: string

  constructor(prefix: string, limit: number) {
    super(`line longer than ${limit} characters: not a debugfs text file`)
    this.prefix = prefix.slice(0, 120)
  }
}

/**
 * Splits a stream of bytes or text into lines, yielding one batch of complete lines per chunk:
 * one await per chunk, not per line, which is what keeps 45 MB of page_owner cheap.
 *
 * The unfinished tail of a chunk is carried into the next one; UTF-8 is decoded with a streaming
 * decoder, so a character split across chunks comes out whole. `\r\n` counts as one line break,
 * also when a chunk ends between the two. A last line without a line break is still yielded.
 *
 * Returns (as the generator's return value) whether the input ended with a line break, which
 * empty input does: record parsers need to know, because a final line without one is what a
 * file cut short in the middle of a number looks like.
 */
export async function* splitLines(
  source: ByteSource,
  maxLineLength = MAX_LINE_LENGTH,
): AsyncGenerator<string[], boolean, undefined> {
  const decoder = new TextDecoder()
  let carry = ''
  for await (const chunk of source) {
    // Text chunks bypass the decoder; flush it first so no bytes it still holds come out of order.
    const text = typeof chunk === 'string' ? decoder.decode() + chunk : decoder.decode(chunk, { stream: true })
    if (text === '') continue
    const lines = (carry + text).split('\n')
    carry = lines.pop() ?? ''
    if (lines.length > 0) {
      if (text.includes('\r') || lines[0]!.endsWith('\r')) stripCarriageReturns(lines)
      yield lines
    }
    if (carry.length > maxLineLength) throw new LineTooLongError(carry, maxLineLength)
  }
  carry += decoder.decode()
  if (carry === '') return true
  yield [carry]
  return false
}

function stripCarriageReturns(lines: string[]): void {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line.charCodeAt(line.length - 1) === 13) lines[i] = line.slice(0, -1)
  }
}
