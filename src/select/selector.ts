import picomatch from 'picomatch'
import { UsageError } from '../errors.js'
import type { Frame } from '../format/types.js'

/** Which stacks a budget is about. */
export interface StackSelector {
  /**
   * Function-name patterns (picomatch globs). Every pattern must match some frame of the stack;
   * `!pattern` means no frame may match. Empty or absent: every stack.
   */
  frames?: readonly string[]
  /** Only stacks with a frame in a module matching this pattern (`xfs`, `nf_*`). */
  module?: string
}

/** A selector compiled once: globs turned into matchers, and each stack's answer remembered. */
export interface CompiledSelector {
  /** `shmem_* & vfs_write & !kmem_cache_*`, for messages and reports. */
  readonly description: string
  readonly include: readonly string[]
  matches(key: number, frames: readonly Frame[]): boolean
  /** Whether a frame is one the selector names (to keep it when trimming stacks for display). */
  names(frame: Frame): boolean
}

/**
 * Compiler-made clones keep the source name before the first dot (`shmem_get_folio_gfp.constprop.0`,
 * `foo.isra.0`, `bar.cold`); a pattern may name either form.
 */
function baseName(fn: string): string {
  const dot = fn.indexOf('.')
  return dot > 0 ? fn.slice(0, dot) : fn
}

export function compileSelector(selector: StackSelector = {}): CompiledSelector {
  const patterns = selector.frames ?? []
  if (!Array.isArray(patterns) || patterns.some((p) => typeof p !== 'string' || p === '' || p === '!')) {
    throw new UsageError(`frames must be a list of non-empty patterns, got ${JSON.stringify(selector.frames)}`, {
      hint: "for example { frames: ['shmem_*', 'vfs_write', '!kmem_cache_*'] }",
    })
  }
  const include = patterns.filter((p) => !p.startsWith('!'))
  const exclude = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1))
  const compile = (p: string) => {
    const glob = picomatch(p, { dot: true })
    return (frame: Frame) => glob(frame.fn) || glob(baseName(frame.fn))
  }
  const includes = include.map(compile)
  const excludes = exclude.map(compile)
  const moduleGlob = selector.module ? picomatch(selector.module) : undefined
  const cache = new Map<number, boolean>()

  const evaluate = (frames: readonly Frame[]) =>
    includes.every((m) => frames.some(m)) &&
    !excludes.some((m) => frames.some(m)) &&
    (!moduleGlob || frames.some((f) => f.module !== undefined && moduleGlob(f.module)))

  const parts = [...include, ...exclude.map((p) => `!${p}`), ...(selector.module ? [`[${selector.module}]`] : [])]
  return {
    description: parts.length ? parts.join(' & ') : 'all stacks',
    include,
    matches(key, frames) {
      let answer = cache.get(key)
      if (answer === undefined) cache.set(key, (answer = evaluate(frames)))
      return answer
    },
    names: (frame) => includes.some((m) => m(frame)),
  }
}

/** The cache key of a selector: equal selectors share one compiled form (and its per-stack answers). */
export function selectorKey(selector: StackSelector = {}): string {
  return JSON.stringify([selector.frames ?? [], selector.module ?? ''])
}
