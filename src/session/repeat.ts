import { UsageError } from '../errors.js'
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
  return {
    before: { ...first.before, label: `${name} (before)` },
    after: { ...last, label, counts, total: sumPages(counts) },
  }
}

/** The middle value; for an even count, the mean of the two middle ones. */
export function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
