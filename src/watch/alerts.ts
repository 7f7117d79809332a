import { UsageError } from '../errors.js'
import type { Frame } from '../format/types.js'
import { compileSelector, type CompiledSelector, type StackSelector } from '../select/selector.js'
import type { DeltaRow } from '../format/counts.js'
import { parseBudget, type Budget } from '../amount.js'

/** `frames=shmem_*,max=512MiB`: a limit on the pages held by the stacks a selector picks. */
export interface AlertSpec {
  text: string
  selector: StackSelector
  max: Budget
}

/** The moment a watched selection went over its limit (or came back under it). */
export interface AlertCrossing {
  alert: string
  kind: 'crossed' | 'recovered'
  sample: number
  /** Milliseconds since the first sample. */
  at: number
  pages: number
  limitPages: number
  /** The selected stacks holding the most pages then, largest first. */
  top: { key: number; pages: number }[]
}

const HINT = "write --alert 'frames=PATTERN,max=SIZE', e.g. 'frames=shmem_*,frames=vfs_write,max=512MiB' (frames and module as in the matchers, max as a budget)"

/** Parses `--alert`; the budget is checked here so a typo fails before sampling starts. */
export function parseAlert(text: string): AlertSpec {
  const frames: string[] = []
  let module: string | undefined
  let max: string | undefined
  for (const part of text.split(',')) {
    const eq = part.indexOf('=')
    const key = part.slice(0, eq).trim()
    const value = part.slice(eq + 1).trim()
    if (eq < 0 || value === '') throw new UsageError(`--alert ${JSON.stringify(text)}: ${JSON.stringify(part)} is not key=value`, { hint: HINT })
    if (key === 'frames') frames.push(value)
    else if (key === 'module' && module === undefined) module = value
    else if (key === 'max' && max === undefined) max = value
    else throw new UsageError(`--alert ${JSON.stringify(text)}: unexpected ${JSON.stringify(key)}`, { hint: `${HINT}; module and max may be given once` })
  }
  if (max === undefined) throw new UsageError(`--alert ${JSON.stringify(text)} has no max`, { hint: HINT })
  parseBudget(max, 4096)
  const selector: StackSelector = { frames, ...(module !== undefined && { module }) }
  compileSelector(selector)
  return { text, selector, max }
}

interface Watched {
  spec: AlertSpec
  selector: CompiledSelector
  limitPages: number
  pages: number
  over: boolean
  /** Selected stacks that hold pages now. */
  holders: Map<number, number>
}

/**
 * Alerts checked incrementally: each sample adds the changed stacks' deltas to every alert whose
 * selector picks them, so a sample costs what changed, not what exists.
 */
export class AlertWatch {
  readonly crossings: AlertCrossing[] = []
  readonly #watched: Watched[]

  constructor(specs: readonly AlertSpec[], pageSize: number) {
    this.#watched = specs.map((spec) => ({
      spec,
      selector: compileSelector(spec.selector),
      limitPages: parseBudget(spec.max, pageSize).pages,
      pages: 0,
      over: false,
      holders: new Map(),
    }))
  }

  get selectors(): CompiledSelector[] {
    return this.#watched.map((w) => w.selector)
  }

  /** Folds in one sample's changes (frames resolved for every changed stack); returns new crossings. */
  update(sample: number, at: number, changed: readonly DeltaRow[], frames: ReadonlyMap<number, readonly Frame[] | undefined>): AlertCrossing[] {
    const fresh: AlertCrossing[] = []
    for (const watched of this.#watched) {
      for (const row of changed) {
        if (!watched.selector.matches(row.key, frames.get(row.key) ?? [])) continue
        watched.pages += row.delta
        if (row.after === 0) watched.holders.delete(row.key)
        else watched.holders.set(row.key, row.after)
      }
      const over = watched.pages > watched.limitPages
      if (over === watched.over) continue
      watched.over = over
      const top = [...watched.holders].map(([key, pages]) => ({ key, pages })).sort((a, b) => b.pages - a.pages).slice(0, 3)
      fresh.push({ alert: watched.spec.text, kind: over ? 'crossed' : 'recovered', sample, at, pages: watched.pages, limitPages: watched.limitPages, top })
    }
    this.crossings.push(...fresh)
    return fresh
  }
}
