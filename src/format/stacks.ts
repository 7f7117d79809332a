import { FrameCache, unindent } from './frame.js'
import { BlockMachine, parse, type ResultMachine } from './machine.js'
import { HANDLE, PAGES } from './show-handles.js'
import type { ByteSource, Frame, StackCount } from './types.js'

/** A stack from show_stacks as text: its frame lines without indent, joined with `\n`. */
export interface StackText {
  text: string
  pages: number
}

/** A stack from show_stacks, parsed; `text` equals `frames.map((f) => f.raw).join('\n')`. */
export interface ParsedStack extends StackCount {
  text: string
}

/**
 * show_stacks and show_stacks_handles: frame lines, then one `key: N` line that ends the
 * stack, then a blank line.
 */
abstract class StackListMachine extends BlockMachine {
  readonly #key: string
  readonly #what: string
  readonly #cache = new FrameCache()

  constructor(file: string, key: string, what: string) {
    super(file)
    this.#key = key
    this.#what = what
  }

  /** One stack: `frames` holds its frame lines (only valid during the call). */
  protected abstract stack(frames: readonly string[], first: number, value: number): void

  protected block(lines: readonly string[], first: number): void {
    const last = lines.length - 1
    for (let i = 0; i < last; i++) {
      if (lines[i]!.startsWith(this.#key)) this.fail(first + i + 1, lines[i + 1]!, `expected a blank line after "${lines[i]}"`)
    }
    const value = this.numberAfter(lines[last]!, this.#key, first + last, this.#what)
    this.stack(lines.slice(0, last), first, value)
  }

  protected frames(lines: readonly string[], first: number): Frame[] {
    return lines.map((line, i) => this.#cache.parse(line) ?? this.fail(first + i, line, 'not a stack frame (function+0xoffset/0xsize)'))
  }
}

export class ShowStacksHandlesMachine extends StackListMachine implements ResultMachine<Map<number, Frame[]>> {
  readonly result = new Map<number, Frame[]>()

  constructor(file: string) {
    super(file, HANDLE, 'stack handle')
  }

  protected stack(lines: readonly string[], first: number, handle: number): void {
    if (this.result.has(handle)) this.fail(first + lines.length, `${HANDLE}${handle}`, `handle ${handle} is listed twice`)
    this.result.set(handle, this.frames(lines, first))
  }
}

export class ShowStacksMachine extends StackListMachine implements ResultMachine<ParsedStack[]> {
  readonly result: ParsedStack[] = []

  constructor(file: string) {
    super(file, PAGES, 'page count')
  }

  protected stack(lines: readonly string[], first: number, pages: number): void {
    const frames = this.frames(lines, first)
    this.result.push({ frames, pages, text: frames.map((frame) => frame.raw).join('\n') })
  }
}

/** show_stacks without parsing frames: the fallback sampling path hashes the text instead. */
export class ShowStacksTextMachine extends StackListMachine implements ResultMachine<StackText[]> {
  readonly result: StackText[] = []

  constructor(file: string) {
    super(file, PAGES, 'page count')
  }

  protected stack(lines: readonly string[], _first: number, pages: number): void {
    this.result.push({ text: lines.map(unindent).join('\n'), pages })
  }
}

/** Stack handle -> frames from show_stacks_handles (it lists every stack, with pages or not). */
export function parseShowStacksHandles(source: ByteSource, file: string): Promise<Map<number, Frame[]>> {
  return parse(source, new ShowStacksHandlesMachine(file))
}

/** Stacks and their pages from show_stacks (the pre-6.19 sampling path), frames parsed. */
export function parseShowStacks(source: ByteSource, file: string): Promise<ParsedStack[]> {
  return parse(source, new ShowStacksMachine(file))
}

/** Stacks and their pages from show_stacks, as text: the fast path for sampling. */
export function readShowStacksText(source: ByteSource, file: string): Promise<StackText[]> {
  return parse(source, new ShowStacksTextMachine(file))
}
