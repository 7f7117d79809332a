import { refuseWrongKind } from '../format/file.js'
import type { Report } from '../report/schema.js'
import { StacksCache } from '../snapshot/stacks.js'
import { ReplayTarget } from '../target/replay.js'

/**
 * The stacks of a recorded show_stacks_handles file (none without one), for naming a recorded
 * sample's handles. `strict` when the user named the file: then a handle it lacks is an error, not
 * a nameless row. A `record` directory keeps only the stacks its own output named, so its file is
 * read leniently.
 */
export function recordedStacks(path: string | undefined, options: { strict: boolean }): StacksCache {
  return new StacksCache(new ReplayTarget({ files: path ? { show_stacks_handles: path } : {} }), 'recorded', undefined, options)
}

/** A report for check and merge; a FIFO or device is refused first, since reading one whole may never end. */
export async function readReportFile(path: string): Promise<Report> {
  await refuseWrongKind(path, 'file')
  // Imported here: the report schema loads zod (~0.2 s), which top and diff, importing this module for recordedStacks, never need.
  const { readReport } = await import('../report/read.js')
  return readReport(path)
}
