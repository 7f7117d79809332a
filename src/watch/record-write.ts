import { join } from 'node:path'
import { writeFileAtomic } from '../io/atomic.js'
import { renderChart } from '../report/chart.js'
import { trimFrames } from '../select/trim.js'
import { formatElapsed } from './duration.js'
import { reportCsv, reportJson } from './export.js'
import { formatAllocInfo, formatSeriesFile, formatShowHandles, formatShowStacksHandles, SERIES_FILE } from '../format/recording.js'
import type { Series } from '../format/series.js'
import type { SiteSeries } from '../format/site-series.js'
import { formatBytes } from '../amount.js'
import type { WatchReport } from './summary.js'

/** The chart of a report: its top stacks' pages over time, alerts as markers. */
function chartOf(report: WatchReport): string {
  const { meta } = report
  return renderChart({
    title: `page-budget: pages per allocation stack${report.sites ? ' and bytes per call site' : ''}, ${meta.target}`,
    subtitle: `Linux ${meta.kernel}, boot ${meta.bootId.slice(0, 8)}, ${report.times.length} samples every ${formatElapsed(meta.intervalMs)} from ${meta.startedAt}; ${report.selector}; top ${report.lines.length} stacks by peak`,
    times: report.times,
    pageSize: meta.pageSize,
    lines: report.lines.map((line) => ({ id: line.key, label: line.label, detail: line.frames ? trimFrames(line.frames, undefined, 12).join('\n') : '(stack not resolved)', values: line.values })),
    marks: report.crossings.map((c) => ({ at: c.at, text: `${c.alert}: ${c.kind} at ${formatElapsed(c.at)} (${c.source === 'stacks' ? `${c.pages} pages` : `${formatBytes(c.bytes)} in ${c.calls} calls`})` })),
    ...(report.sites && {
      sites: report.sites.lines.map((line) => ({
        site: line.key,
        detail: `${line.calls.first} -> ${line.calls.last} calls (peak ${line.calls.max})${line.accurate ? '' : ', accurate:no'}`,
        values: line.values,
      })),
    }),
  })
}

/**
 * Writes a replayable recording: the series and everything the replay target, `top` and `diff`
 * need to read it as a capture (boot id, kernel version, page size, the stacks the output names,
 * the first and last samples as show_handles, and as allocinfo when the watch read call sites),
 * plus the report as JSON, CSV and a chart. Each file is written atomically, so a recording is
 * never half a file.
 */
export async function writeRecording(dir: string, series: Series, sites: SiteSeries | undefined, report: WatchReport, version: string | undefined): Promise<string[]> {
  const { meta } = report
  const files: Record<string, string> = {
    [SERIES_FILE]: formatSeriesFile(meta, series, sites),
    'summary.json': `${reportJson(report)}\n`,
    'series.csv': reportCsv(report),
    'chart.html': chartOf(report),
    show_stacks_handles: formatShowStacksHandles(report.stacks),
    'start.show_handles': formatShowHandles(series.countsAt(0)),
    'end.show_handles': formatShowHandles(series.current),
    // A site series with no site holding memory has nothing allocinfo would list.
    ...(sites && sites.table.length > 0 && {
      'start.allocinfo': formatAllocInfo(sites.countsAt(0).values()),
      'end.allocinfo': formatAllocInfo(sites.countsAt(sites.length - 1).values()),
    }),
    boot_id: `${meta.bootId}\n`,
    version: version ?? `Linux version ${meta.kernel}\n`,
    // Samples are only taken with count_threshold at 0 (the session refuses otherwise).
    count_threshold: '0\n',
    // Where the probe reads the page size from on a live kernel.
    smaps: `KernelPageSize:        ${meta.pageSize / 1024} kB\n`,
  }
  await Promise.all(Object.entries(files).map(([name, text]) => writeFileAtomic(join(dir, name), text)))
  return Object.keys(files)
}
