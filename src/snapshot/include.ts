import { UnsupportedKernelError, UsageError } from '../errors.js'
import { addPages } from '../format/counts.js'
import type { HandleCounts } from '../format/types.js'
import type { Snapshot } from './snapshot.js'

/**
 * Which pages a budget counts. `'resident'`: in memory, as show_handles counts them. `'swap'`: in
 * swap, from swap_page_owner. `'all'`: both, added up. A page in swap is not a page in memory:
 * the kernel freed it at swap-out, so show_handles no longer counts it on any stack, and the swap
 * patches (recipe/swap-page-owner/) list it in swap_page_owner instead until it is read back, or
 * while it is back in memory but still in the swap cache, in page_owner only. So the sum never
 * counts a page twice.
 */
export type Include = 'resident' | 'swap' | 'all'

/** Whether counting `include` needs swap_page_owner read with the snapshots (costly: read only then). */
export function needsSwap(include: Include | undefined): boolean {
  return include === 'swap' || include === 'all'
}

/**
 * The snapshot's counts for `include`. Absent: as show_handles counts (`'resident'`).
 * `tracking`: whether the kernel has swap_page_owner; a snapshot taken there without reading it
 * cannot say which pages are in swap.
 */
export function countsFor(snapshot: Snapshot, include: Include | undefined, tracking: boolean): HandleCounts {
  if (include === undefined || include === 'resident') return snapshot.counts
  if (!tracking) {
    throw new UnsupportedKernelError(
      `include: '${include}' needs pages in swap, and this kernel does not track them (no /sys/kernel/debug/swap_page_owner)`,
      "boot a kernel with page-budget's swap patches (page-budget kernel build --swap-page-owner, booted page_owner=on,swap), or count include: 'resident'",
    )
  }
  const swap = snapshot.swap
  if (!swap) {
    throw new UsageError(`include: '${include}' needs swap_page_owner read at '${snapshot.label}', and it was not: it is read only when asked, since it is large`, {
      hint: 'open the session with { countSwap: true } (the page-budget config) to read it with every snapshot, or take the baseline with mark(name, { swap: true }) and measure { since: name }',
    })
  }
  if (include === 'swap') return swap
  const all = new Map(snapshot.counts)
  for (const [key, pages] of swap) addPages(all, key, pages)
  return all
}

/** The snapshot with its counts as `include` counts them (countsFor), for deltas between two such. */
export function countedAs(snapshot: Snapshot, include: Include | undefined, tracking: boolean): Snapshot {
  return { ...snapshot, counts: countsFor(snapshot, include, tracking) }
}
