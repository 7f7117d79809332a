import { UsageError } from '../errors.js'
import { diffSites, type SiteCount } from '../format/allocinfo.js'
import { diffCounts, sumPages } from '../format/counts.js'
import type { Snapshot } from '../snapshot/snapshot.js'

/** How the runs of a repeat become one run, per stack. */
const REDUCERS = {
  /** The middle gain: one noisy run moves nothing. */
  median: medianOf,
  /**
   * The smallest gain: for counts that other activity can only raise, the quietest run is the
   * truest (Go's testing.AllocsPerRun practice).
   */
  min: (values: readonly number[]) => Math.min(...values),
} satisfies Record<string, (values: readonly number[]) => number>

export type Reduce = keyof typeof REDUCERS

export interface RepeatOptions {
  /** Measured runs of the workload (odd counts give a true median). */
  times: number
  /** Runs before the measured ones, not counted: caches, first-touch allocations, lazy init. */
  warmup?: number
  /** Which run per stack stands for all: `'median'` (default) or `'min'`. */
  reduce?: Reduce
}

/** One measured run: the snapshots on either side of it. */
export interface RepeatRun {
  before: Snapshot
  after: Snapshot
}

/** Refuses options that are not a repeat's, before the workload runs. */
export function checkRepeatOptions(options: RepeatOptions): Required<RepeatOptions> {
  const { times, warmup = 0, reduce = 'median' } = options
  for (const [option, value, least] of [['times', times, 1], ['warmup', warmup, 0]] as const) {
    if (!Number.isInteger(value) || value < least) throw new UsageError(`repeat: ${option} must be a whole number >= ${least}, got ${String(value)}`)
  }
  if (!Object.hasOwn(REDUCERS, reduce)) {
    throw new UsageError(`repeat: reduce must be ${Object.keys(REDUCERS).map((name) => `'${name}'`).join(' or ')}, got ${JSON.stringify(reduce)}`)
  }
  return { times, warmup, reduce }
}

/**
 * One run made of several, per stack: each stack's gain is the median (or the minimum) of its
 * gains over the runs, a run where it did not change counting 0. The result is a before/after
 * pair that deltas and matchers read like any other.
 */
export function reduceRuns(name: string, runs: readonly RepeatRun[], reduce: Reduce): RepeatRun {
  const first = runs[0]!
  const gains = runs.map((run) => new Map(diffCounts(run.before.counts, run.after.counts).map((row) => [row.key, row.delta])))
  const keys = new Set(gains.flatMap((gain) => [...gain.keys()]))
  const counts = new Map(first.before.counts)
  for (const key of keys) {
    const gain = REDUCERS[reduce](gains.map((each) => each.get(key) ?? 0))
    if (gain !== 0) counts.set(key, (counts.get(key) ?? 0) + gain)
  }
  const last = runs[runs.length - 1]!.after
  const label = `${name} (${reduce} of ${runs.length})`
  const sites = first.before.sites && reduceSites(runs, REDUCERS[reduce])
  return {
    before: { ...first.before, label: `${name} (before)` },
    after: { ...last, label, counts, total: sumPages(counts), ...(sites && { sites }) },
  }
}

/** The same per call site, its bytes and its calls each reduced on their own. */
function reduceSites(runs: readonly RepeatRun[], reducer: (values: readonly number[]) => number): Map<string, SiteCount> {
  const gains = runs.map((run) => new Map(diffSites(run.before.sites ?? new Map(), run.after.sites ?? new Map()).map((row) => [row.key, row])))
  const sites = new Map(runs[0]!.before.sites)
  for (const key of new Set(gains.flatMap((gain) => [...gain.keys()]))) {
    const changes = gains.map((gain) => gain.get(key))
    const known = changes.find((change) => change !== undefined)!
    const was = sites.get(key)
    sites.set(key, {
      key,
      site: known.site,
      bytes: (was?.bytes ?? 0) + reducer(changes.map((change) => change?.bytes ?? 0)),
      calls: (was?.calls ?? 0) + reducer(changes.map((change) => change?.calls ?? 0)),
      accurate: changes.every((change) => change?.accurate ?? true) && (was?.accurate ?? true),
    })
  }
  return sites
}

/** The middle value; for an even count, the mean of the two middle ones. */
export function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
