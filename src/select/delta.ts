import type { Frame } from '../format/types.js'
import type { CompiledSelector } from './selector.js'
import { diffCounts, type DeltaRow } from '../format/counts.js'
import type { Snapshot } from '../snapshot/snapshot.js'
import type { StacksCache } from '../snapshot/stacks.js'

export interface DeltaStack extends DeltaRow {
  /** Frames of the stack; empty when the kernel no longer lists it. */
  frames: Frame[]
}

/** What changed between two snapshots, for the stacks a selector picks. */
export interface Delta {
  /** Pages per stack from page_owner (a selector on `sites` gives a SiteDelta instead). */
  source: 'stacks'
  before: Snapshot
  after: Snapshot
  /** The selector in words (`shmem_* & vfs_write`). */
  selector: string
  /** Pages gained (negative: freed) by the selected stacks. */
  pages: number
  bytes: number
  /** Pages gained by every stack, selected or not. */
  totalPages: number
  /** Selected stacks that changed, largest change first. */
  rows: DeltaStack[]
  pageSize: number
}

/**
 * The delta of the selected stacks between two snapshots. Only stacks whose counts changed are
 * resolved to frames, and each is matched against the selector once per boot (its cache).
 */
export async function computeDelta(
  before: Snapshot,
  after: Snapshot,
  stacks: StacksCache,
  selector: CompiledSelector,
  pageSize: number,
): Promise<Delta> {
  const changed = diffCounts(before.counts, after.counts)
  const frames = await stacks.resolve(changed.map((row) => row.key))
  const rows: DeltaStack[] = []
  let pages = 0
  let totalPages = 0
  for (const row of changed) {
    totalPages += row.delta
    const stack = frames.get(row.key) ?? []
    if (!selector.matches(row.key, stack)) continue
    pages += row.delta
    rows.push({ ...row, frames: stack })
  }
  rows.sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || a.key - b.key)
  return { source: 'stacks', before, after, selector: selector.description, pages, bytes: pages * pageSize, totalPages, rows, pageSize }
}
