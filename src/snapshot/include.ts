import { UnsupportedKernelError } from '../errors.js'
import type { HandleCounts } from '../format/types.js'
import type { Snapshot } from './snapshot.js'

/**
 * Which pages a budget counts. `'resident'`: in memory. `'swap'`: in swap. `'all'`: both.
 * With the swap RFC the kernel keeps swapped pages on their allocating stack, so show_handles
 * already counts `'all'`; swap_page_owner says how many of them sit in swap.
 */
export type Include = 'resident' | 'swap' | 'all'

/** The snapshot's counts for `include`, never counting a page twice. Absent: as show_handles counts. */
export function countsFor(snapshot: Snapshot, include: Include | undefined): HandleCounts {
  if (include === undefined) return snapshot.counts
  if (!snapshot.swap) {
    if (include === 'resident') return snapshot.counts
    throw new UnsupportedKernelError(
      `include: '${include}' needs pages in swap, and this kernel does not track them (no /sys/kernel/debug/swap_page_owner)`,
      "boot a kernel with the swap RFC (CONFIG_SWAP_PAGE_OWNER=y, page_owner=on,swap), or count include: 'resident'",
    )
  }
  if (include === 'all') return snapshot.counts
  if (include === 'swap') return snapshot.swap
  const resident = new Map(snapshot.counts)
  for (const [key, pages] of snapshot.swap) {
    const left = (resident.get(key) ?? 0) - pages
    if (left > 0) resident.set(key, left)
    else resident.delete(key)
  }
  return resident
}
