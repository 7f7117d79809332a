import type { HandleCounts } from './types.js'

export interface DeltaRow {
  /** Kernel stack handle (or, on fallback paths, a hash of the stack text). */
  key: number
  before: number
  after: number
  delta: number
}

/**
 * The stacks whose page count changed between two samples. Absent means 0 pages (show_handles
 * omits empty stacks). One pass over each map: this runs for every matcher call.
 */
export function diffCounts(before: HandleCounts, after: HandleCounts): DeltaRow[] {
  const rows: DeltaRow[] = []
  for (const [key, pages] of after) {
    const was = before.get(key) ?? 0
    if (pages !== was) rows.push({ key, before: was, after: pages, delta: pages - was })
  }
  for (const [key, was] of before) {
    if (!after.has(key)) rows.push({ key, before: was, after: 0, delta: -was })
  }
  return rows
}

/** Adds `pages` to the count of `key`: how every reader sums pages per stack, record body or text. */
export function addPages<K>(counts: Map<K, number>, key: K, pages: number): void {
  counts.set(key, (counts.get(key) ?? 0) + pages)
}

export function sumPages(counts: HandleCounts): number {
  let total = 0
  for (const pages of counts.values()) total += pages
  return total
}
