import picomatch from 'picomatch'
import { UsageError } from '../errors.js'
import type { SiteCount } from '../format/allocinfo.js'
import { sourceName } from '../format/stack-key.js'
import type { Frame } from '../format/types.js'

/** Which stacks (or, with `sites`, which call sites) a budget is about. */
export interface StackSelector {
  /**
   * Function-name patterns (picomatch globs). Every pattern must match some frame of the stack;
   * `!pattern` means no frame may match. Empty or absent: every stack.
   */
  frames?: readonly string[]
  /** Only stacks with a frame in a module matching this pattern (`xfs`, `nf_*`); with `sites`, only sites in such a module. */
  module?: string
  /**
   * Call sites from /proc/allocinfo instead of stacks: the budget is then in bytes (and calls).
   * Picomatch globs over a site's `file:line` (`fs/ext4/*`, `mm/shmem.c:*`), or over its function
   * with `func:` (`func:kmalloc_*`). A site counts when any pattern matches it and no `!pattern`
   * does: each site is one place, so patterns add up. Empty: every site.
   */
  sites?: readonly string[]
}

/** A selector compiled once: globs turned into matchers, and each stack's answer remembered. */
export interface CompiledSelector {
  /** `shmem_* & vfs_write & !kmem_cache_*` (sites: `fs/dcache.c:* | mm/shmem.c:*`), for messages and reports. */
  readonly description: string
  /** What the selector picks from: page_owner's stacks (pages), or allocinfo's call sites (bytes and calls). */
  readonly source: 'stacks' | 'sites'
  readonly include: readonly string[]
  matches(key: number, frames: readonly Frame[]): boolean
  matchesSite(count: Pick<SiteCount, 'site'>): boolean
  /** Whether a frame is one the selector names (to keep it when trimming stacks for display). */
  names(frame: Frame): boolean
}

export function compileSelector(selector: StackSelector = {}): CompiledSelector {
  if (selector.sites !== undefined) return compileSites(selector)
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
    // A pattern may name a compiler-made clone (`foo.constprop.0`) or its source name (`foo`).
    return (frame: Frame) => glob(frame.fn) || glob(sourceName(frame.fn))
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
    source: 'stacks',
    include,
    matches(key, frames) {
      let answer = cache.get(key)
      if (answer === undefined) cache.set(key, (answer = evaluate(frames)))
      return answer
    },
    matchesSite: () => false,
    names: (frame) => includes.some((m) => m(frame)),
  }
}

const FUNC = 'func:'

/** `sites` patterns: `func:GLOB` over the function, any other over `file:line`; any may match, none negated. */
function compileSites(selector: StackSelector): CompiledSelector {
  const patterns = selector.sites
  if (!Array.isArray(patterns) || patterns.some((p) => typeof p !== 'string' || p === '' || p === '!' || p === FUNC || p === `!${FUNC}`)) {
    throw new UsageError(`sites must be a list of non-empty patterns, got ${JSON.stringify(patterns)}`, {
      hint: "for example { sites: ['fs/dcache.c:*', 'mm/shmem.c:*', 'func:kmalloc_*', '!fs/dcache.c:42'] }",
    })
  }
  if (selector.frames?.length) {
    throw new UsageError('a budget selects stacks (frames) or call sites (sites), not both', {
      hint: 'stacks count pages (page_owner), call sites count bytes and calls (/proc/allocinfo): write two assertions',
    })
  }
  const compile = (p: string) => {
    const byFunction = p.startsWith(FUNC)
    const glob = picomatch(byFunction ? p.slice(FUNC.length) : p, { dot: true })
    return byFunction ? (c: Pick<SiteCount, 'site'>) => glob(c.site.fn) : (c: Pick<SiteCount, 'site'>) => glob(`${c.site.file}:${c.site.line}`)
  }
  const include = patterns.filter((p) => !p.startsWith('!'))
  const includes = include.map(compile)
  const exclude = patterns.filter((p) => p.startsWith('!'))
  const excludes = exclude.map((p) => compile(p.slice(1)))
  const moduleGlob = selector.module ? picomatch(selector.module) : undefined
  const description = [include.join(' | ') || 'all sites', ...exclude, ...(selector.module ? [`[${selector.module}]`] : [])].join(' & ')
  return {
    description,
    source: 'sites',
    include,
    matches: () => false,
    matchesSite: (count) =>
      (includes.length === 0 || includes.some((m) => m(count))) &&
      !excludes.some((m) => m(count)) &&
      (!moduleGlob || (count.site.module !== undefined && moduleGlob(count.site.module))),
    names: () => false,
  }
}

/** The cache key of a selector: equal selectors share one compiled form (and its per-stack answers). */
export function selectorKey(selector: StackSelector = {}): string {
  return JSON.stringify([selector.frames ?? [], selector.module ?? '', selector.sites ?? null])
}
