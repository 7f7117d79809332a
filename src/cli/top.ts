import { openFile } from '../format/file.js'
import { parseShowHandles } from '../format/show-handles.js'
import { frameLines, framesOfText, hashText } from '../format/stack-key.js'
import { readShowStacksText } from '../format/stacks.js'
import { countPagesBy, type OwnerCount, type OwnerKey } from '../snapshot/owners.js'
import { trimFrames } from '../select/trim.js'
import type { StacksCache } from '../snapshot/stacks.js'
import { formatBytes } from '../amount.js'
import { renderTable } from '../report/table.js'
import { CliUsageError, oneOf, parse, positiveInt } from './args.js'
import { sniffSampleFile, type SampleFile } from './sniff.js'
import { recordingFiles } from '../watch/record-dir.js'

export const usage = `page-budget top FILE [--stacks SHOW_STACKS_HANDLES] [--by stack|comm|pid|tgid] [--limit N] [--page-size N] [--json]
  The largest consumers in one recorded sample. FILE is show_handles, show_stacks or the per-page
  page_owner file (.gz accepted); --by comm|pid|tgid needs page_owner. A \`record\` directory
  stands for its last sample, with its stacks. A recorded /proc/allocinfo lists call sites by bytes.`

const BY = ['stack', 'comm', 'pid', 'tgid'] as const

/** `page-budget top`: pages per stack or per process in one recorded file. */
export async function topCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const { values, positionals } = parse({
    args: argv,
    allowPositionals: true,
    options: {
      stacks: { type: 'string' },
      by: { type: 'string' },
      limit: { type: 'string' },
      'page-size': { type: 'string' },
      json: { type: 'boolean' },
    },
  })
  if (positionals.length !== 1) throw new CliUsageError('top needs one FILE')
  const recording = recordingFiles(positionals[0]!)
  const path = recording?.end ?? positionals[0]!
  const by = oneOf(values.by, '--by', BY, 'stack')
  const limit = positiveInt(values.limit, '--limit', 20)
  const pageSize = positiveInt(values['page-size'], '--page-size', 4096)
  const format = await sniffSampleFile(path)
  if (format === 'allocinfo') {
    if (values.by !== undefined || values.stacks !== undefined) throw new CliUsageError(`${path} is /proc/allocinfo: it lists call sites, so --by and --stacks do not apply`)
    // Imported only here: its selectors load picomatch (~40 ms, a tenth of \`top\` on a 45 MB page_owner file).
    await (await import('./allocinfo.js')).topSites(path, limit, values.json ?? false, out)
    return 0
  }
  if (by !== 'stack' && format !== 'page_owner') throw new CliUsageError(`--by ${by} needs the per-page page_owner file; ${path} is ${format}`)

  const stacksPath = values.stacks ?? recording?.stacks
  // Imported only when needed: the replay target behind it loads zod (~0.2 s, a third of `top` on a 45 MB file).
  const stacks = stacksPath ? (await import('./inputs.js')).recordedStacks(stacksPath, { strict: values.stacks !== undefined }) : undefined
  const counts = await countStacks(path, format, by, stacks)
  const total = counts.reduce((sum, c) => sum + c.pages, 0)
  // Ties by key in code-unit order: what localeCompare gives the numeric keys (stacks, handles,
  // pids), without loading ICU's collator (~9 ms, a thirtieth of \`top\` on a 45 MB file).
  const rows = counts.sort((a, b) => b.pages - a.pages || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).slice(0, limit)

  if (values.json) {
    out(JSON.stringify({
      format,
      by,
      pageSize,
      totalPages: total,
      rows: rows.map((row) => ({
        key: row.key,
        pages: row.pages,
        bytes: row.pages * pageSize,
        percent: total ? Number(((row.pages * 100) / total).toFixed(2)) : 0,
        ...(row.frames && { frames: frameLines(row.frames) }),
      })),
    }, null, 2))
    return 0
  }
  out(renderTable(
    [by, 'pages', 'size', '%', ...(by === 'stack' ? ['stack'] : [])],
    rows.map((row) => [
      row.key,
      row.pages,
      formatBytes(row.pages * pageSize),
      total ? ((row.pages * 100) / total).toFixed(1) : '0.0',
      ...(by === 'stack' ? [row.frames ? trimFrames(row.frames, undefined, 4).join(' < ') : recording ? '(not in the recording)' : '(pass --stacks to name it)'] : []),
    ]),
  ))
  out(`\ntotal: ${total} pages (${formatBytes(total * pageSize)}) in ${counts.length} ${by === 'stack' ? 'stacks' : `${by}s`}`)
  return 0
}

async function countStacks(path: string, format: Exclude<SampleFile, 'allocinfo'>, by: OwnerKey, stacks: StacksCache | undefined): Promise<OwnerCount[]> {
  switch (format) {
    case 'page_owner':
      return [...(await countPagesBy(openFile(path, { reuse: true }), path, by)).values()]
    case 'show_stacks':
      return (await readShowStacksText(openFile(path), path)).map(({ text, pages }) => ({ key: String(hashText(text)), pages, frames: framesOfText(text) }))
    case 'show_handles': {
      const handles = await parseShowHandles(openFile(path), path)
      const frames = await stacks?.resolve(handles.keys())
      return [...handles].map(([handle, pages]) => {
        const stack = frames?.get(handle)
        return { key: String(handle), pages, ...(stack && { frames: stack }) }
      })
    }
  }
}
