import { ALLOCINFO_HEADER } from './allocinfo.js'
import { parseFrame } from './frame.js'
import { HANDLE, PAGES } from './show-handles.js'

export type FormatName = 'show_handles' | 'show_stacks' | 'show_stacks_handles' | 'page_owner' | 'swap_page_owner' | 'count_threshold' | 'allocinfo'

/** The files pages per stack can be sampled from, cheapest first. */
export const SAMPLE_PATHS = ['show_handles', 'show_stacks', 'page_owner'] as const satisfies readonly FormatName[]
export type SamplePath = (typeof SAMPLE_PATHS)[number]

/**
 * Which page_owner debugfs file (or /proc/allocinfo) `firstLines` (its first lines, any number) come from, or
 * undefined when they do not say (empty, or not one of them). show_stacks and
 * show_stacks_handles both open with frames, so those two need the line after the first stack.
 */
export function detectFormat(firstLines: readonly string[]): FormatName | undefined {
  const lines = firstLines.filter((line) => line.trim() !== '')
  const first = lines[0]
  if (first === undefined) return undefined
  if (first.startsWith(HANDLE)) return 'show_handles'
  if (first.startsWith('Page allocated via order ')) return 'page_owner'
  if (first.startsWith('Page allocated via pid ')) return 'swap_page_owner'
  if (first.startsWith(ALLOCINFO_HEADER)) return 'allocinfo'
  if (lines.length === 1 && /^\s*\d+\s*$/.test(first)) return 'count_threshold'
  const end = lines.find((line) => parseFrame(line) === undefined)
  if (end?.startsWith(HANDLE)) return 'show_stacks_handles'
  if (end?.startsWith(PAGES)) return 'show_stacks'
  return undefined
}
