import type { SiteCount } from '../format/allocinfo.js'
import type { HandleCounts } from '../format/types.js'
import type { SamplePath } from '../format/detect.js'

/** Pages per stack at one instant. Immutable once taken. */
export interface Snapshot {
  /** `start`, a mark's name, `expect` ... : what the message calls it. */
  readonly label: string
  /** Milliseconds since the epoch, when the read began. */
  readonly takenAt: number
  readonly bootId: string
  readonly path: SamplePath
  /** Stack key (kernel handle, or text hash on fallback paths) -> pages. */
  readonly counts: HandleCounts
  /** Pages in swap per stack, where the kernel tracks them (swap_page_owner); not in `counts`, which are pages in memory. */
  readonly swap?: HandleCounts
  /** Pages held by all listed stacks. */
  readonly total: number
  /** Bytes and calls per call site, from /proc/allocinfo, where the kernel counts them. */
  readonly sites?: ReadonlyMap<string, SiteCount>
}
