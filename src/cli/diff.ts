import { compileSelector } from '../select/selector.js'
import { trimFrames } from '../select/trim.js'
import { computeDelta } from '../select/delta.js'
import { sumPages } from '../format/counts.js'
import { frameLines } from '../format/stack-key.js'
import { readCounts } from '../snapshot/sample.js'
import type { Snapshot } from '../snapshot/snapshot.js'
import { ReplayTarget } from '../target/replay.js'
import { formatAmount } from '../amount.js'
import { renderTable } from '../report/table.js'
import { CliUsageError, parse, positiveInt } from './args.js'
import { recordedStacks } from './inputs.js'
import { sniffSampleFile } from './sniff.js'
import { recordingFiles } from '../watch/record-dir.js'
import { diffSitesCommand } from './allocinfo.js'

export const usage = `page-budget diff BEFORE AFTER [--stacks SHOW_STACKS_HANDLES] [--frames PAT]... [--sites PAT]... [--module PAT] [--page-size N] [--json]
  The pages each stack gained between two recorded samples (show_handles, show_stacks or page_owner
  files, .gz accepted). show_handles samples need --stacks to name their stacks. \`diff DIR\` compares a
  \`record\` directory's first and last samples, with its stacks. Two recorded /proc/allocinfo files give
  the bytes and calls each call site gained, selected with --sites (file:line globs, func:GLOB).`

/** `page-budget diff`: the same delta path the matchers use, over recorded files. */
export async function diffCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const { values, positionals } = parse({
    args: argv,
    allowPositionals: true,
    options: {
      stacks: { type: 'string' },
      frames: { type: 'string', multiple: true },
      sites: { type: 'string', multiple: true },
      module: { type: 'string' },
      'page-size': { type: 'string' },
      json: { type: 'boolean' },
    },
  })
  const recording = positionals.length === 1 ? recordingFiles(positionals[0]!) : undefined
  if (positionals.length !== 2 && !recording) throw new CliUsageError('diff needs two files: BEFORE and AFTER (or one `record` directory)')
  const [beforePath, afterPath] = recording ? [recording.start, recording.end] : (positionals as [string, string])
  const stacksPath = values.stacks ?? recording?.stacks
  const pageSize = positiveInt(values['page-size'], '--page-size', 4096)
  const format = await sniffSampleFile(beforePath)
  const afterFormat = await sniffSampleFile(afterPath)
  if (afterFormat !== format) throw new CliUsageError(`BEFORE is a ${format} file but AFTER is a ${afterFormat} file`)
  if (format === 'allocinfo') {
    if (values.frames || values.stacks) throw new CliUsageError('/proc/allocinfo lists call sites: select them with --sites, not --frames or --stacks')
    await diffSitesCommand(beforePath, afterPath, values.sites ?? [], values.module, values.json ?? false, out)
    return 0
  }
  if (values.sites) throw new CliUsageError(`--sites selects call sites in /proc/allocinfo files; these are ${format} files`)
  if (format === 'show_handles' && !stacksPath) throw new CliUsageError('show_handles samples hold only handles: pass --stacks SHOW_STACKS_HANDLES to resolve them')

  const stacks = recordedStacks(stacksPath, { strict: values.stacks !== undefined })
  const sample = async (label: string, path: string): Promise<Snapshot> => {
    const counts = await readCounts(new ReplayTarget({ files: { [format]: path } }), format, stacks)
    return { label, takenAt: 0, bootId: 'recorded', path: format, counts, total: sumPages(counts) }
  }
  const before = await sample(beforePath, beforePath)
  const after = await sample(afterPath, afterPath)
  const selector = compileSelector({ frames: values.frames ?? [], ...(values.module && { module: values.module }) })
  const delta = await computeDelta(before, after, stacks, selector, pageSize)

  if (values.json) {
    out(JSON.stringify({
      format,
      selector: delta.selector,
      pageSize,
      totalPages: delta.totalPages,
      selected: { pages: delta.pages, bytes: delta.bytes },
      rows: delta.rows.map((row) => ({ handle: row.key, before: row.before, after: row.after, delta: row.delta, frames: frameLines(row.frames) })),
    }, null, 2))
    return 0
  }
  out(`${delta.selector}: ${formatAmount(delta.pages, pageSize)} (all stacks: ${formatAmount(delta.totalPages, pageSize)})\n`)
  out(renderTable(
    ['handle', 'before', 'after', 'delta', 'stack'],
    delta.rows.map((row) => [row.key, row.before, row.after, row.delta, trimFrames(row.frames, selector.names, 4).join(' < ')]),
  ))
  return 0
}
