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

/**
 * What follows `pid N` in a page_owner header, in each version of print_page_owner in
 * mm/page_owner.c that printed a pid (none did before v5.11). The comm may hold anything, `), ts `
 * included; greedy, it ends at the last `), ts ` that lets the line end as its version's does.
 */
const PAGE_OWNER_OWNERS = [
  /^, ts (?<ts>\d+) ns$/, // v5.11
  /^, ts (?<ts>\d+) ns, free_ts \d+ ns$/, // v5.12 - v5.17
  /^ \((?<comm>.*)\), ts (?<ts>\d+) ns, free_ts \d+ ns$/, // 865ed6a32786, before tgid
  /^, tgid \d+ \((?<comm>.*)\), ts (?<ts>\d+) ns, free_ts \d+ ns$/, // v5.18 - v6.6
  /^, tgid \d+ \((?<comm>.*)\), ts (?<ts>\d+) ns(?: \([^()]*\))*$/, // v6.7 and later; marks from the swap RFC
]

/**
 * The same for the swap RFC's swap_page_owner header. The RFC prints a tgid; the parser also
 * reads a header without one, and the oracle must read all the parser does.
 */
const SWAP_OWNERS = [/^(?:, tgid \d+)? \((?<comm>.*)\), ts (?<ts>\d+) ns$/]

/** comm ('' where the kernel printed none) and ts from what follows `pid N`. */
function owner(rest: string, shapes: readonly RegExp[]): [comm: string, ts: number] {
  for (const shape of shapes) {
    const found = shape.exec(rest)?.groups
    if (found) return [found.comm ?? '', Number(found.ts)]
  }
  throw new Invalid(`no kernel printed ${JSON.stringify(rest)} after the pid of a header`)
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
      const [, order, rest] = match(/^Page allocated via order (\d+), mask 0x[0-9a-f]+\([^()]*\), pid \d+(.*)$/, block[0])
      match(/^PFN /, block[1])
      return [Number(order), ...owner(rest!, PAGE_OWNER_OWNERS), body(block, 2, /^(Page allocated via|PFN )/).length]
    }),
  /** page_owner as the counting readers see it: order and comm of each record. */
  page_owner_pages: (text) => oracles.page_owner!(text).map((item) => item.slice(0, 2)),
  swap_page_owner: (text) =>
    blocks(text).map((block) => {
      const [, pid, rest] = match(/^Page allocated via pid (\d+)(.*)$/, block[0])
      const entry = Number.parseInt(match(/^SWP entry 0x([0-9a-f]+)$/, block[1])[1]!, 16)
      return [Number(pid), ...owner(rest!, SWAP_OWNERS), entry, body(block, 2, /^(Page allocated via|SWP entry )/).length]
    }),
  count_threshold: (text) => [[Number(match(/^\s*(\d+)\s*$/, text)[1])]],
  allocinfo,
}

/** A number (sign included) in a right-aligned printf column (`%12lli`): padded to `width` exactly when narrower. */
function column(pad: string, digits: string, width: number): number {
  if (digits.length < width ? pad.length + digits.length !== width : pad !== '') throw new Invalid(`"${pad}${digits}" is not %${width} wide`)
  const value = Number(digits)
  if (!Number.isSafeInteger(value)) throw new Invalid(`${digits} is too large`)
  return value
}

/** /proc/allocinfo: [tag, bytes, calls, accurate (1 or 0)] per distinct tag, summed over repeats, in first-seen order. */
function allocinfo(text: string): Item[] {
  const lines = linesOf(text)
  if (lines.pop() !== '') throw new Invalid('the last line has no line break')
  match(/^allocinfo - version: (1\.0|2\.0)$/, lines[0])
  match(/^#     <size>  <calls> <tag info>$/, lines[1])
  if (lines.length < 3) throw new Invalid('no call sites')
  const sites = new Map<string, [string, number, number, number]>()
  for (const line of lines.slice(2)) {
    const [, pad1, bytes, pad2, calls, tag, lineNo, accurate] = match(
      /^( *)(0|-?[1-9]\d*) ( *)(0|[1-9]\d*) (\S+:(0|[1-9]\d*)(?: \[[^\s[\]]+\])? func:\S+?)( accurate:no)? $/,
      line,
    )
    column('', lineNo!, 0)
    const item: [string, number, number, number] = [tag!, column(pad1!, bytes!, 12), column(pad2!, calls!, 8), accurate ? 0 : 1]
    const known = sites.get(tag!)
    if (!known) sites.set(tag!, item)
    else {
      known[1] += item[1]
      known[2] += item[2]
      known[3] = Math.min(known[3], item[3])
    }
  }
  return [...sites.values()]
}
