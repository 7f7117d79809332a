import { frameLines } from '../format/stack-key.js'
import type { WatchReport } from './summary.js'

/** The report as JSON: what `watch --json` prints and a recording's summary.json holds. */
export function reportJson(report: WatchReport): string {
  const meta = report.meta
  const pageSize = meta.pageSize
  const last = report.times.length - 1
  return JSON.stringify({
    format: 'page-budget watch',
    version: 1,
    ...meta,
    samples: report.times.length,
    durationMs: report.times[last] ?? 0,
    selector: report.selector,
    totalPages: { first: report.totals[0] ?? 0, last: report.totals[last] ?? 0, min: report.totals.reduce((a, b) => Math.min(a, b)), max: report.totals.reduce((a, b) => Math.max(a, b)) },
    top: report.lines.map((line) => ({
      handle: line.key,
      label: line.label,
      first: line.range.first,
      last: line.range.last,
      min: line.range.min,
      max: line.range.max,
      maxBytes: line.range.max * pageSize,
      peakAtMs: line.peakAt,
      frames: frameLines(line.frames ?? []),
    })),
    alerts: report.crossings.map((c) => ({
      alert: c.alert,
      kind: c.kind,
      sample: c.sample,
      atMs: c.at,
      at: new Date(Date.parse(meta.startedAt) + c.at).toISOString(),
      pages: c.pages,
      bytes: c.pages * pageSize,
      limitPages: c.limitPages,
      top: c.top.map(({ key, pages }) => ({ handle: key, label: report.labels.get(key), pages })),
    })),
    unresolved: report.unresolved,
    ...(report.resolveError !== undefined && { resolveError: report.resolveError }),
  }, null, 2)
}

/** RFC 4180 quoting, for labels with commas or quotes. */
function cell(value: string | number): string {
  const text = String(value)
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** One row per sample: seconds, pages of all stacks, then pages of each top stack (one column each). */
export function reportCsv(report: WatchReport): string {
  const header = ['seconds', 'total_pages', ...report.lines.map((line) => `${line.label} (${line.key})`)]
  const rows = report.times.map((ms, i) => [ms / 1000, report.totals[i]!, ...report.lines.map((line) => line.values[i]!)])
  return `${[header, ...rows].map((row) => row.map(cell).join(',')).join('\n')}\n`
}
