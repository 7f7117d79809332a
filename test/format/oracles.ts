/**
 * Reference readers for the fuzz tests: whole-text, regex-based, written for clarity, not
 * speed. They trust their input to be well-formed and compute what a correct parser must return
 * for it, one summary item per record; they throw (Invalid) when a block has no such reading.
 */
import { linesOf } from './helpers.js'

export class Invalid extends Error {}

/** The non-blank line groups of `text`, as the parsers read them. */
export function blocks(text: string): string[][] {
  const groups: string[][] = [[]]
  for (const line of linesOf(text)) {
    if (line === '') groups.push([])
    else groups[groups.length - 1]!.push(line)
  }
  return groups.filter((group) => group.length > 0)
}

function match(pattern: RegExp, line: string | undefined): RegExpExecArray {
  const found = line === undefined ? null : pattern.exec(line)
  if (!found) throw new Invalid(`${String(pattern)} does not match ${JSON.stringify(line)}`)
  return found
}

const unindented = (lines: string[]): string => lines.map((line) => line.replace(/^[ \t]+/, '')).join('\n')

/** The lines of a block after its first `from`, none of which may start a record. */
function body(block: string[], from: number, starts: RegExp): string[] {
  const lines = block.slice(from)
  const merged = lines.find((line) => starts.test(line))
  if (merged !== undefined) throw new Invalid(`a record starts inside another: ${merged}`)
  return lines
}

/** A stack's frame lines (all but the last) and the number on its last line `key: N`. */
function stack(block: string[], key: string): [string, number] {
  const value = Number(match(new RegExp(`^${key}: (\\d+)$`), block.at(-1))[1])
  return [unindented(body(block.slice(0, -1), 0, new RegExp(`^${key}: `))), value]
}

/** comm: from the ` (` after `pid N[, tgid N]` to the last `), ts `; ts after that. */
function owner(header: string): [comm: string, ts: number] {
  const end = header.lastIndexOf('), ts ')
  const start = header.indexOf(' (', header.indexOf(', pid '))
  if (end < 0 || start < 0 || start > end) throw new Invalid(`no comm in ${header}`)
  return [header.slice(start + 2, end), Number(match(/^(\d+) ns/, header.slice(end + 6))[1])]
}

export type Item = Array<string | number>

export const oracles: Record<string, (text: string) => Item[]> = {
  show_handles: (text) =>
    blocks(text).map((block) => {
      if (block.length !== 2) throw new Invalid('a show_handles record has two lines')
      return [Number(match(/^handle: (\d+)$/, block[0])[1]), Number(match(/^nr_base_pages: (\d+)$/, block[1])[1])]
    }),
  show_stacks: (text) => blocks(text).map((block) => stack(block, 'nr_base_pages')),
  show_stacks_handles: (text) => blocks(text).map((block) => stack(block, 'handle').reverse()),
  page_owner: (text) =>
    blocks(text).map((block) => {
      const order = Number(match(/^Page allocated via order (\d+), /, block[0])[1])
      match(/^PFN /, block[1])
      return [order, ...owner(block[0]!), body(block, 2, /^(Page allocated via|PFN )/).length]
    }),
  swap_page_owner: (text) =>
    blocks(text).map((block) => {
      const pid = Number(match(/^Page allocated via pid (\d+)/, block[0])[1])
      const entry = Number.parseInt(match(/^SWP entry 0x([0-9a-f]+)$/, block[1])[1]!, 16)
      return [pid, ...owner(block[0]!), entry, body(block, 2, /^(Page allocated via|SWP entry )/).length]
    }),
  count_threshold: (text) => [[Number(match(/^\s*(\d+)\s*$/, text)[1])]],
}
