import { BlockMachine, parse, type ResultMachine } from './machine.js'
import type { ByteSource, HandleCounts } from './types.js'

export const HANDLE = 'handle: '
export const PAGES = 'nr_base_pages: '

/**
 * page_owner_stacks/show_handles: `handle: N`, `nr_base_pages: N`, blank, per stack.
 * Read once per sample, so it stays on startsWith and a hand-rolled number parse.
 */
export class ShowHandlesMachine extends BlockMachine implements ResultMachine<HandleCounts> {
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

/** Pages per stack handle from show_handles. Stacks it omits hold 0 pages (or sit under count_threshold). */
export function parseShowHandles(source: ByteSource, file: string): Promise<HandleCounts> {
  return parse(source, new ShowHandlesMachine(file))
}
