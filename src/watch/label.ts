import type { Frame } from '../format/types.js'
import { trimFrames } from '../select/trim.js'

/** Compiler clone suffixes (`.constprop.0`, `.isra.0`, `.cold`) say nothing to a reader of a legend. */
function bare(fn: string): string {
  return fn.replace(/\.(constprop|isra|part|cold|lto_priv)(\.\d+)?/g, '')
}

/**
 * A stack's name in a legend: its most telling frame (the first one after the page-allocator
 * boilerplate that trimFrames cuts, or the first frame a selector named) and the outermost
 * kept frame, which is usually the syscall: `shmem_get_folio_gfp … ksys_write`.
 */
export function stackLabel(key: number, frames: readonly Frame[] | undefined, names?: (frame: Frame) => boolean): string {
  if (!frames || frames.length === 0) return `handle ${key}`
  const kept = trimFrames(frames, names).filter((line) => line !== '…')
  const named = names && frames.find(names)
  const first = bare(named?.fn ?? kept[0]!)
  const last = bare(kept[kept.length - 1]!)
  return first === last ? first : `${first} … ${last}`
}
