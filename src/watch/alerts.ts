import { UsageError } from '../errors.js'
import type { Frame } from '../format/types.js'
import { compileSelector, type CompiledSelector, type StackSelector } from '../select/selector.js'
import type { DeltaRow } from '../format/counts.js'
import type { SiteSeries } from '../format/site-series.js'
import { parseBudget, type Budget } from '../amount.js'

/**
 * `frames=shmem_*,max=512MiB`: a limit on the pages held by the stacks a selector picks;
 * `sites=fs/dcache.c:*,max=16MiB`: on the bytes held by the call sites it picks (/proc/allocinfo).
 */
export interface AlertSpec {
  text: string
  selector: StackSelector
  max: Budget
}

interface CrossingBase {
  alert: string
  kind: 'crossed' | 'recovered'
  sample: number
  /** Milliseconds since the first sample. */
  at: number
}

/** The moment a watched selection of stacks went over its limit in pages (or came back under it). */
export interface StackCrossing extends CrossingBase {
  source: 'stacks'
  pages: number
  limitPages: number
  /** The selected stacks holding the most pages then, largest first. */
  top: { key: number; pages: number }[]
}

/** The same for call sites: bytes, and the calls (allocations) those bytes are in. */
export interface SiteCrossing extends CrossingBase {
  source: 'sites'
  bytes: number
  calls: number
  limitBytes: number
  /** The selected sites holding the most bytes then, largest first, by key (`fs/dcache.c:1909 func:__d_alloc`). */
  top: { site: string; bytes: number; calls: number }[]
}

export type AlertCrossing = StackCrossing | SiteCrossing

const HINT = "write --alert 'frames=PATTERN,max=SIZE', e.g. 'frames=shmem_*,frames=vfs_write,max=512MiB', or 'sites=PATTERN,max=SIZE' for call sites, e.g. 'sites=fs/dcache.c:*,max=16MiB' (frames, sites and module as in the matchers, max as a budget)"

/** Parses `--alert`; the budget is checked here so a typo fails before sampling starts. */
export function parseAlert(text: string): AlertSpec {
  const frames: string[] = []
  const sites: string[] = []
  let module: string | undefined
  let max: string | undefined
  for (const part of text.split(',')) {
    const eq = part.indexOf('=')
    const key = part.slice(0, eq).trim()
    const value = part.slice(eq + 1).trim()
    if (eq < 0 || value === '') throw new UsageError(`--alert ${JSON.stringify(text)}: ${JSON.stringify(part)} is not key=value`, { hint: HINT })
    if (key === 'frames') frames.push(value)
    else if (key === 'sites') sites.push(value)
    else if (key === 'module' && module === undefined) module = value
    else if (key === 'max' && max === undefined) max = value
    else throw new UsageError(`--alert ${JSON.stringify(text)}: unexpected ${JSON.stringify(key)}`, { hint: `${HINT}; module and max may be given once` })
  }
  if (max === undefined) throw new UsageError(`--alert ${JSON.stringify(text)} has no max`, { hint: HINT })
  parseBudget(max, 4096)
  const inModule = module !== undefined && { module }
  // compileSelector refuses frames with sites: one alert watches pages or bytes, not both.
  const selector: StackSelector = sites.length > 0 ? { ...(frames.length > 0 && { frames }), sites, ...inModule } : { frames, ...inModule }
  compileSelector(selector)
  return { text, selector, max }
}

interface Watched {
  spec: AlertSpec
  selector: CompiledSelector
  /** Pages for stacks, bytes for call sites. */
  limit: number
  held: number
  over: boolean
  /** Selected stacks (or site ids) that hold something now. */
  holders: Map<number, number>
}

/** What one sample changed at the call sites, for alerts on them. */
export interface SiteChanges {
  changed: readonly DeltaRow[]
  series: SiteSeries
}

/**
 * Alerts checked incrementally: each sample adds the changed stacks' (or sites') deltas to every
 * alert whose selector picks them, so a sample costs what changed, not what exists.
 */
export class AlertWatch {
  readonly crossings: AlertCrossing[] = []
  readonly #watched: Watched[]

  constructor(specs: readonly AlertSpec[], pageSize: number) {
    this.#watched = specs.map((spec) => {
      const selector = compileSelector(spec.selector)
      const limit = parseBudget(spec.max, pageSize)
      return { spec, selector, limit: selector.source === 'sites' ? limit.bytes : limit.pages, held: 0, over: false, holders: new Map() }
    })
  }

  get selectors(): CompiledSelector[] {
    return this.#watched.map((w) => w.selector)
  }

  /** Whether any alert is on call sites: the watch must then read allocinfo. */
  get watchesSites(): boolean {
    return this.#watched.some((w) => w.selector.source === 'sites')
  }

  /**
   * Folds in one sample's changes (frames resolved for every changed stack, and the sites'
   * changes when the watch reads allocinfo); returns new crossings.
   */
  update(sample: number, at: number, changed: readonly DeltaRow[], frames: ReadonlyMap<number, readonly Frame[] | undefined>, sites?: SiteChanges): AlertCrossing[] {
    const fresh: AlertCrossing[] = []
    for (const watched of this.#watched) {
      const onSites = watched.selector.source === 'sites'
      const picks = onSites
        ? (row: DeltaRow) => watched.selector.matchesSite(sites!.series.entry(row.key))
        : (row: DeltaRow) => watched.selector.matches(row.key, frames.get(row.key) ?? [])
      for (const row of onSites ? (sites?.changed ?? []) : changed) {
        if (!picks(row)) continue
        watched.held += row.delta
        if (row.after === 0) watched.holders.delete(row.key)
        else watched.holders.set(row.key, row.after)
      }
      const over = watched.held > watched.limit
      if (over === watched.over) continue
      watched.over = over
      const top = [...watched.holders].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 3)
      const base = { alert: watched.spec.text, kind: over ? 'crossed' : 'recovered', sample, at } as const
      if (!onSites) {
        fresh.push({ ...base, source: 'stacks', pages: watched.held, limitPages: watched.limit, top: top.map(([key, pages]) => ({ key, pages })) })
        continue
      }
      const calls = sites!.series.calls.current
      let held = 0
      for (const id of watched.holders.keys()) held += calls.get(id) ?? 0
      fresh.push({
        ...base,
        source: 'sites',
        bytes: watched.held,
        calls: held,
        limitBytes: watched.limit,
        top: top.map(([id, bytes]) => ({ site: sites!.series.key(id), bytes, calls: calls.get(id) ?? 0 })),
      })
    }
    this.crossings.push(...fresh)
    return fresh
  }
}
