import type { Frame } from '../format/types.js'
import type { AlertCrossing } from './alerts.js'
import type { Watch, WatchOutcome } from './engine.js'
import { stackLabel } from './label.js'
import type { RecordMeta } from '../format/recording.js'
import type { StackRange } from '../format/series.js'

/** One stack in the output: the chart's line, the table's row. */
export interface StackLine {
  key: number
  label: string
  frames: Frame[] | undefined
  range: StackRange
  /** Pages at every sample. */
  values: number[]
  /** Milliseconds since the first sample when it held the most pages. */
  peakAt: number
}

export interface WatchReport {
  meta: RecordMeta
  selector: string
  times: readonly number[]
  totals: readonly number[]
  /** The top stacks by peak pages, largest first. */
  lines: StackLine[]
  crossings: AlertCrossing[]
  /** Every stack the output names, with its frames: what a recording keeps of show_stacks_handles. */
  stacks: Map<number, Frame[]>
  labels: Map<number, string>
  /** Stacks the output names but that could not be resolved (the target went away, or the kernel no longer lists them). */
  unresolved: number[]
  /** Why resolving failed at the end, if it did. */
  resolveError?: string
}

function topBy(ranges: readonly StackRange[], n: number, score: (range: StackRange) => number): StackRange[] {
  return [...ranges].sort((a, b) => score(b) - score(a) || a.key - b.key).slice(0, n).filter((range) => score(range) > 0)
}

/**
 * What a watch produced, with only the stacks its output names resolved: the top `top` by peak
 * (the chart) and by pages at the end (`top` on the recording), those that changed from first to
 * last sample (`diff` on it), and the stacks behind each alert. Resolution is best effort: when the
 * target is gone (a VM stopped by the same Ctrl-C), stacks resolved during the watch still name
 * their lines and the rest are listed as unresolved.
 */
export async function buildReport(watch: Watch, outcome: WatchOutcome, meta: RecordMeta, top: number): Promise<WatchReport> {
  const series = watch.series
  const ranges = series.ranges().filter((range) => watch.selected(range.key))
  const chart = topBy(ranges, top, (r) => r.max)
  const named = new Set([
    ...chart,
    ...topBy(ranges, top, (r) => r.last),
    // Every stack that changed from first to last sample: the rows of `diff` on the recording.
    ...ranges.filter((r) => r.last !== r.first),
  ].map((range) => range.key))
  for (const crossing of outcome.crossings) for (const { key } of crossing.top) named.add(key)

  let resolveError: string | undefined
  try {
    await watch.resolve(named)
  } catch (error) {
    resolveError = (error as Error).message.split('\n')[0]
  }
  const stacks = new Map<number, Frame[]>()
  const labels = new Map<number, string>()
  for (const key of named) {
    const frames = watch.frames.get(key)
    if (frames?.length) stacks.set(key, frames)
    labels.set(key, stackLabel(key, frames, watch.selector.names))
  }
  const values = series.valuesOf(chart.map((range) => range.key))
  const lines = chart.map((range) => {
    const pages = values.get(range.key)!
    return { key: range.key, label: labels.get(range.key)!, frames: stacks.get(range.key), range, values: pages, peakAt: series.times[pages.indexOf(range.max)]! }
  })
  return {
    meta,
    selector: watch.selector.description,
    times: series.times,
    totals: series.totals,
    lines,
    crossings: outcome.crossings,
    stacks,
    labels,
    unresolved: [...named].filter((key) => !stacks.has(key)).sort((a, b) => a - b),
    ...(resolveError !== undefined && { resolveError }),
  }
}
