import { parseFrame } from './frame.js'
import type { Frame } from './types.js'

/**
 * A stack's identity where the kernel prints no handle (show_stacks, page_owner,
 * swap_page_owner): its frames' text, one frame per line without the leading space. Every
 * reader keys such stacks through this module, so one stack gets one key whichever file it
 * came from.
 */
export function stackText(frames: readonly Frame[]): string {
  return frameLines(frames).join('\n')
}

/** A stack's frames as the lines they were read from, without the leading space (JSON output, caches). */
export function frameLines(frames: readonly Frame[]): string[] {
  return frames.map((frame) => frame.raw)
}

/**
 * A stack's function names, innermost first: what stays the same across boots and builds,
 * where handles and offsets change. Baselines store stacks this way and pair them by it.
 */
export function functionNames(frames: readonly Frame[]): string[] {
  return frames.map((frame) => frame.fn)
}

/**
 * A function's name as its source spells it: compiler-made clones keep it before the first dot
 * (`shmem_get_folio_gfp.constprop.0`, `foo.isra.0`, `bar.cold`), and kernels built apart may
 * clone a function differently, so stacks compared across kernels pair up by these names.
 */
export function sourceName(fn: string): string {
  const dot = fn.indexOf('.')
  return dot > 0 ? fn.slice(0, dot) : fn
}

/** Frames from a stack's text, for keys learned on a path that only had the text. */
export function framesOfText(text: string): Frame[] {
  return text.split('\n').flatMap((line) => parseFrame(line) ?? [])
}

/**
 * cyrb53: a fast 53-bit string hash. 53 bits keep collisions negligible for 100k stacks and
 * fit a JS number, so text keys and kernel handles share one Map type.
 */
export function hashText(text: string): number {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return 4294967296 * (2097151 & h2) + (h1 >>> 0)
}

/** The key of a stack given by its frames: the hash of its text. */
export function stackKey(frames: readonly Frame[]): number {
  return hashText(stackText(frames))
}
