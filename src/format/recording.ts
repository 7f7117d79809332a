import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { FileMissingError, ParseError } from '../errors.js'
import { SAMPLE_PATHS } from './detect.js'
import { Series } from './series.js'
import { SiteSeries, type SiteEntry } from './site-series.js'
import { ACCURATE_NO, ALLOCINFO_COLUMNS, ALLOCINFO_HEADER, type SiteCount } from './allocinfo.js'
import type { Frame } from './types.js'

export { SERIES_FILE } from './recording-files.js'

/** Why sampling stopped. */
export type StopReason = 'samples' | 'duration' | 'interrupted' | 'exec-done' | 'alert' | 'replay-end'

const handle = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)

/** (id, delta) pairs of one sample; the first sample's are its full counts. */
const pairs = (what: string) =>
  z.array(z.number().int()).refine((sample) => sample.length % 2 === 0, `a sample of ${what} is [id, delta, id, delta, ...]`)
    .refine((sample) => sample.every((n, i) => i % 2 === 1 || handle.safeParse(n).success), 'site ids are non-negative whole numbers')

/** Call sites from /proc/allocinfo (`watch --sites`): each site once, then its bytes and calls per sample by index in `table`. */
const SitesSchema = z.object({
  table: z.array(z.object({
    file: z.string().min(1),
    line: z.number().int().nonnegative(),
    module: z.string().min(1).optional(),
    fn: z.string().min(1),
    accurate: z.literal(false).optional(),
  })),
  bytes: z.array(pairs('bytes')),
  calls: z.array(pairs('calls')),
}).refine((sites) => [...sites.bytes, ...sites.calls].every((sample) => sample.every((n, i) => i % 2 === 1 || n < sites.table.length)), 'a site id beyond the table')

const SeriesFileSchema = z.object({
  format: z.literal('page-budget series'),
  version: z.literal(1),
  target: z.string(),
  bootId: z.string(),
  kernel: z.string(),
  pageSize: z.number().int().positive(),
  path: z.enum(SAMPLE_PATHS),
  startedAt: z.string(),
  intervalMs: z.number().positive(),
  stopped: z.enum(['samples', 'duration', 'interrupted', 'exec-done', 'alert', 'replay-end']),
  /** Per sample: milliseconds since the first sample, then (handle, pages) pairs: full counts for the first, changes after. */
  samples: z.array(
    z.array(z.number().int()).min(1).refine((sample) => sample.length % 2 === 1, 'a sample is [ms, handle, delta, handle, delta, ...]')
      .refine((sample) => sample.every((n, i) => i === 0 || i % 2 === 0 || handle.safeParse(n).success), 'handles are non-negative whole numbers'),
  ).min(1),
  /** Absent in a watch of stacks alone (and in recordings made before call sites were watched). */
  sites: SitesSchema.optional(),
}).refine((file) => !file.sites || (file.sites.bytes.length === file.samples.length && file.sites.calls.length === file.samples.length), 'sites need bytes and calls for every sample')

export type RecordMeta = Omit<z.infer<typeof SeriesFileSchema>, 'format' | 'version' | 'samples' | 'sites'>

export interface Recorded {
  meta: RecordMeta
  series: Series
  /** The call sites' series, when the watch read allocinfo. */
  sites?: SiteSeries
}

/** series.json: one sample per line, so a long recording stays readable and diffable. */
export function formatSeriesFile(meta: RecordMeta, series: Series, sites?: SiteSeries): string {
  const head = JSON.stringify({ format: 'page-budget series', version: 1, ...meta })
  const lines = (count: number, line: (i: number) => unknown) => Array.from({ length: count }, (_, i) => JSON.stringify(line(i))).join(',\n')
  const samples = lines(series.length, (i) => [series.times[i], ...series.changesAt(i)])
  const table = sites && lines(sites.table.length, (id) => ({ ...sites.entry(id).site, ...(!sites.entry(id).accurate && { accurate: false }) }))
  const siteSection = sites
    ? `,"sites":{"table":[\n${table!}\n],"bytes":[\n${lines(sites.length, (i) => sites.bytes.changesAt(i))}\n],"calls":[\n${lines(sites.length, (i) => sites.calls.changesAt(i))}\n]}`
    : ''
  return `${head.slice(0, -1)},"samples":[\n${samples}\n]${siteSection}}\n`
}

/** A recording's series.json, checked; a damaged one is a ParseError naming the file. */
export function parseSeriesFile(text: string, file: string): Recorded {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    throw new ParseError(file, 0, text.slice(0, 80), `not JSON (${(cause as Error).message}); the recording was cut short`, { cause })
  }
  const parsed = SeriesFileSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new ParseError(file, 0, issue.path.join('.'), `not a page-budget series: ${issue.message}`)
  }
  const { format: _format, version: _version, samples, sites, ...meta } = parsed.data
  const times = samples.map(([at]) => at!)
  const series = Series.fromChanges(samples.map(([at, ...changes]) => ({ at: at!, changes })))
  if (!sites) return { meta, series }
  const table: SiteEntry[] = sites.table.map(({ accurate, ...site }) => ({ site, accurate: accurate ?? true }))
  const rebuild = (changes: number[][]) => Series.fromChanges(changes.map((pairs, i) => ({ at: times[i]!, changes: pairs })))
  return { meta, series, sites: new SiteSeries(table, rebuild(sites.bytes), rebuild(sites.calls)) }
}

/** Read synchronously: the replay target opens recordings in its constructor. */
export function readSeriesFileSync(file: string): Recorded {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    throw new FileMissingError(file, { hint: 'a recording written by `page-budget record DIR` has a series.json', cause })
  }
  return parseSeriesFile(text, file)
}

/** Counts in the kernel's show_handles format. */
export function formatShowHandles(counts: ReadonlyMap<number, number>): string {
  let text = ''
  for (const [key, pages] of counts) text += `handle: ${key}\nnr_base_pages: ${pages}\n\n`
  return text
}

/**
 * Call sites in /proc/allocinfo's format (lib/alloc_tag.c: `"%12lli %8llu "`, the tag, a space),
 * so a replayed recording reads as the kernel's file does, through the same parser.
 */
export function formatAllocInfo(sites: Iterable<SiteCount>): string {
  let text = `${ALLOCINFO_HEADER}2.0\n${ALLOCINFO_COLUMNS}\n`
  for (const { key, bytes, calls, accurate } of sites) text += `${String(bytes).padStart(12)} ${String(calls).padStart(8)} ${key}${accurate ? '' : ACCURATE_NO} \n`
  return text
}

/** Stacks in the kernel's show_stacks_handles format (frames with their leading space). */
export function formatShowStacksHandles(stacks: ReadonlyMap<number, readonly Frame[]>): string {
  let text = ''
  for (const [key, frames] of stacks) text += `${frames.map((f) => ` ${f.raw}\n`).join('')}handle: ${key}\n\n`
  return text
}
