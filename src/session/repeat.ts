import { diffCounts, sumPages } from '../format/counts.js'
import type { Snapshot } from '../snapshot/snapshot.js'

export interface RepeatOptions {
  /** Measured runs of the workload (odd counts give a true median). */
  times: number
  /** Runs before the measured ones, not counted: caches, first-touch allocations, lazy init. */
  warmup?: number
}

/** One measured run: the snapshots on either side of it. */
export interface RepeatRun {
  before: Snapshot
  after: Snapshot
}

/**
 * The median run of several, per stack: each stack's gain is the median of its gains over the
 * runs (a run where it did not change counts 0), so one noisy run moves nothing. The result is
 * a before/after pair that deltas and matchers read like any other.
 */
export function medianRun(name: string, runs: readonly RepeatRun[]): RepeatRun {
  const first = runs[0]!
  const gains = runs.map((run) => new Map(diffCounts(run.before.counts, run.after.counts).map((row) => [row.key, row.delta])))
  const keys = new Set(gains.flatMap((gain) => [...gain.keys()]))
  const counts = new Map(first.before.counts)
  for (const key of keys) {
    const median = medianOf(gains.map((gain) => gain.get(key) ?? 0))
    if (median !== 0) counts.set(key, (counts.get(key) ?? 0) + median)
  }
  const last = runs[runs.length - 1]!.after
  const label = `${name} (median of ${runs.length})`
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
