import type { Site } from '../format/allocinfo.js'
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

/** One call site in the output: its bytes (the chart's line) and calls over the watch. */
export interface SiteLine {
  /** The site's id in the watch's site series. */
  id: number
  /** `fs/dcache.c:1909 func:__d_alloc`. */
  key: string
  site: Site
  accurate: boolean
  /** Bytes: first, last, lowest, highest. */
  range: StackRange
  calls: StackRange
  /** Bytes at every sample. */
  values: number[]
  /** Calls (allocations held) at every sample. */
  callValues: number[]
  /** Milliseconds since the first sample when it held the most bytes. */
  peakAt: number
}

/** The call sites a watch read from allocinfo, as its output shows them. */
export interface SiteReport {
  /** The sites shown, in words (`fs/dcache.c:*`). */
  selector: string
  /** Bytes held by the sites shown, per sample. */
  totals: number[]
  /** The top sites by peak bytes, largest first. */
  lines: SiteLine[]
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
  /** The call sites, when the watch read allocinfo. */
  sites?: SiteReport
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
  for (const crossing of outcome.crossings) if (crossing.source === 'stacks') for (const { key } of crossing.top) named.add(key)

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
    ...(watch.sites && { sites: siteReport(watch, top) }),
  }
}

/** The top `top` selected call sites by peak bytes, with their calls, and the selected sites' bytes per sample. */
function siteReport(watch: Watch, top: number): SiteReport {
  const sites = watch.sites!
  const ranges = sites.bytes.ranges().filter((range) => watch.selectedSite(range.key))
  const calls = new Map(sites.calls.ranges().map((range) => [range.key, range]))
  const values = sites.bytes.valuesOf(ranges.map((range) => range.key))
  const totals = sites.bytes.times.map((_, i) => {
    let sum = 0
    for (const bytes of values.values()) sum += bytes[i]!
    return sum
  })
  const chart = topBy(ranges, top, (r) => r.max)
  const callValues = sites.calls.valuesOf(chart.map((range) => range.key))
  const lines = chart.map((range) => {
    const bytes = values.get(range.key)!
    const { site, accurate } = sites.entry(range.key)
    // The calls series leaves out what never held a call, as the bytes series does what never held a byte.
    const none = { key: range.key, first: 0, last: 0, min: 0, max: 0 }
    return { id: range.key, key: sites.key(range.key), site, accurate, range, calls: calls.get(range.key) ?? none, values: bytes, callValues: callValues.get(range.key)!, peakAt: sites.bytes.times[bytes.indexOf(range.max)]! }
  })
  return { selector: watch.siteDescription, totals, lines }
}
