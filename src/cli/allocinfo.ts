import { parseAllocInfo, type SiteCount } from '../format/allocinfo.js'
import { openFile } from '../format/file.js'
import { compileSelector } from '../select/selector.js'
import { computeSiteDelta } from '../select/site-delta.js'
import type { SiteSample } from '../select/site-delta.js'
import { formatBytes } from '../amount.js'
import { renderTable } from '../report/table.js'

/** A recorded /proc/allocinfo as a snapshot's sites. */
async function readSites(path: string): Promise<ReadonlyMap<string, SiteCount>> {
  return (await parseAllocInfo(openFile(path), path)).sites
}

const percentOf = (part: number, total: number) => (total ? Number(((part * 100) / total).toFixed(2)) : 0)

/** `top` over a recorded /proc/allocinfo: the call sites holding the most bytes. */
export async function topSites(path: string, limit: number, json: boolean, out: (text: string) => void): Promise<void> {
  const sites = [...(await readSites(path)).values()]
  let totalBytes = 0
  let totalCalls = 0
  for (const count of sites) {
    totalBytes += count.bytes
    totalCalls += count.calls
  }
  const rows = sites.sort((a, b) => b.bytes - a.bytes || a.key.localeCompare(b.key)).slice(0, limit)
  if (json) {
    out(JSON.stringify({
      format: 'allocinfo',
      by: 'site',
      totalBytes,
      totalCalls,
      sites: sites.length,
      rows: rows.map(({ key, site, bytes, calls, accurate }) => ({
        key,
        file: site.file,
        line: site.line,
        ...(site.module !== undefined && { module: site.module }),
        function: site.fn,
        bytes,
        calls,
        percent: percentOf(bytes, totalBytes),
        ...(!accurate && { accurate: false }),
      })),
    }, null, 2))
    return
  }
  out(renderTable(
    ['site', 'bytes', 'size', 'calls', '%'],
    rows.map((row) => [row.key, row.bytes, formatBytes(row.bytes), row.calls, percentOf(row.bytes, totalBytes).toFixed(1)]),
  ))
  out(`\ntotal: ${formatBytes(totalBytes)} in ${totalCalls} calls at ${sites.length} call sites`)
}

/** `diff` over two recorded /proc/allocinfo files: what each selected call site gained, through the matchers' delta. */
export async function diffSitesCommand(beforePath: string, afterPath: string, patterns: readonly string[], module: string | undefined, json: boolean, out: (text: string) => void): Promise<void> {
  const sample = async (path: string): Promise<SiteSample> => ({ label: path, takenAt: 0, bootId: 'recorded', sites: await readSites(path) })
  const selector = compileSelector({ sites: patterns, ...(module && { module }) })
  const delta = computeSiteDelta(await sample(beforePath), await sample(afterPath), selector, 4096)
  if (json) {
    out(JSON.stringify({
      format: 'allocinfo',
      selector: delta.selector,
      totalBytes: delta.totalBytes,
      selected: { bytes: delta.bytes, calls: delta.calls },
      rows: delta.rows.map((row) => ({ site: row.key, before: row.before, after: row.after, bytes: row.bytes, calls: row.calls })),
    }, null, 2))
    return
  }
  out(`${delta.selector}: ${formatBytes(delta.bytes)} in ${delta.calls} calls (all call sites: ${formatBytes(delta.totalBytes)})\n`)
  out(renderTable(['site', 'before', 'after', 'bytes', 'calls'], delta.rows.map((row) => [row.key, row.before, row.after, row.bytes, row.calls])))
}
