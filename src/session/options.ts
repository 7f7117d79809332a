import type { Tolerance } from '../amount.js'

export interface SessionOptions {
  /**
   * What to do when page_owner_stacks/count_threshold is not 0 (it hides small stacks and so
   * corrupts deltas): `'error'` (default) refuses; `'reset'` sets it to 0 for the session and
   * restores the old value at the end.
   */
  threshold?: 'error' | 'reset'
  /** Default tolerance for every budget matcher (a matcher's own option wins). */
  tolerance?: Tolerance
  /** Defaults for toStayWithinBaseline (a matcher's own options win). */
  baseline?: {
    /** Growth allowed over a stored baseline: `'5%'` of it, or an amount. Default: `tolerance`, else 0. */
    tolerance?: Tolerance
  }
  /** Where the stacks cache and cross-process locks live. */
  cacheDir?: string
  /** Serialize measured sections across processes (default true). */
  lock?: boolean
  /** How long a measured section waits for another process's (ms, default 10 minutes). */
  lockTimeout?: number
  /**
   * On a kernel with swap_page_owner (page-budget's swap patches), read it with every snapshot (default false), so
   * that any delta can count `include: 'swap'` or `'all'`. Otherwise it is read only for
   * owners, marks taken with `{ swap: true }` and the snapshots of deltas that count swap.
   */
  countSwap?: boolean
  /** Where notices (a slower fallback path in use) go; default console.warn. */
  log?: (message: string) => void
}
