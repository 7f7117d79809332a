import { UnsupportedKernelError, UsageError } from '../errors.js'
import type { HandleCounts } from '../format/types.js'
import type { Snapshot } from './snapshot.js'

/**
 * Which pages a budget counts. `'resident'`: in memory. `'swap'`: in swap. `'all'`: both.
 * With the swap RFC the kernel keeps swapped pages on their allocating stack, so show_handles
 * already counts `'all'`; swap_page_owner says how many of them sit in swap.
 */
export type Include = 'resident' | 'swap' | 'all'

/** Whether counting `include` needs swap_page_owner read with the snapshots (costly: read only then). */
export function needsSwap(include: Include | undefined): boolean {
  return include === 'swap' || include === 'resident'
}

/**
 * The snapshot's counts for `include`, never counting a page twice. Absent: as show_handles counts.
 * `tracking`: whether the kernel has swap_page_owner; a snapshot taken there without reading it
 * cannot say which pages are in swap.
 */
export function countsFor(snapshot: Snapshot, include: Include | undefined, tracking: boolean): HandleCounts {
  if (include === undefined) return snapshot.counts
  if (!tracking) {
    if (include === 'resident') return snapshot.counts
    throw new UnsupportedKernelError(
      `include: '${include}' needs pages in swap, and this kernel does not track them (no /sys/kernel/debug/swap_page_owner)`,
      "boot a kernel with the swap RFC (CONFIG_SWAP_PAGE_OWNER=y, page_owner=on,swap), or count include: 'resident'",
    )
  }
  if (include === 'all') return snapshot.counts
  const swap = snapshot.swap
  if (!swap) {
    throw new UsageError(`include: '${include}' needs swap_page_owner read at '${snapshot.label}', and it was not: it is read only when asked, since it is large`, {
      hint: 'open the session with { countSwap: true } (the page-budget config) to read it with every snapshot, or take the baseline with mark(name, { swap: true }) and measure { since: name }',
    })
  }
  if (include === 'swap') return swap
  const resident = new Map(snapshot.counts)
  for (const [key, pages] of swap) {
    const left = (resident.get(key) ?? 0) - pages
    if (left > 0) resident.set(key, left)
    else resident.delete(key)
  }
  return resident
}
