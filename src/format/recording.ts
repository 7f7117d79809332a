import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { FileMissingError, ParseError } from '../errors.js'
import { SAMPLE_PATHS } from './detect.js'
import { Series } from './series.js'
import type { Frame } from './types.js'

export { SERIES_FILE } from './recording-files.js'

/** Why sampling stopped. */
export type StopReason = 'samples' | 'duration' | 'interrupted' | 'exec-done' | 'alert' | 'replay-end'

const handle = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)

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
})

export type RecordMeta = Omit<z.infer<typeof SeriesFileSchema>, 'format' | 'version' | 'samples'>

export interface Recorded {
  meta: RecordMeta
  series: Series
}

/** series.json: one sample per line, so a long recording stays readable and diffable. */
export function formatSeriesFile(meta: RecordMeta, series: Series): string {
  const head = JSON.stringify({ format: 'page-budget series', version: 1, ...meta })
  const samples = Array.from({ length: series.length }, (_, i) => JSON.stringify([series.times[i], ...series.changesAt(i)]))
  return `${head.slice(0, -1)},"samples":[\n${samples.join(',\n')}\n]}\n`
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
  const { format: _format, version: _version, samples, ...meta } = parsed.data
  return { meta, series: Series.fromChanges(samples.map(([at, ...changes]) => ({ at: at!, changes }))) }
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

/** Stacks in the kernel's show_stacks_handles format (frames with their leading space). */
export function formatShowStacksHandles(stacks: ReadonlyMap<number, readonly Frame[]>): string {
  let text = ''
  for (const [key, frames] of stacks) text += `${frames.map((f) => ` ${f.raw}\n`).join('')}handle: ${key}\n\n`
  return text
}
