import { frameLines } from '../format/stack-key.js'
import type { SiteReport, WatchReport } from './summary.js'

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
      source: c.source,
      kind: c.kind,
      sample: c.sample,
      atMs: c.at,
      at: new Date(Date.parse(meta.startedAt) + c.at).toISOString(),
      ...(c.source === 'stacks'
        ? { pages: c.pages, bytes: c.pages * pageSize, limitPages: c.limitPages, top: c.top.map(({ key, pages }) => ({ handle: key, label: report.labels.get(key), pages })) }
        : { bytes: c.bytes, calls: c.calls, limitBytes: c.limitBytes, top: c.top }),
    })),
    unresolved: report.unresolved,
    ...(report.resolveError !== undefined && { resolveError: report.resolveError }),
    ...(report.sites && { sites: sitesJson(report.sites) }),
  }, null, 2)
}

/** The call sites of a report: the selected sites' bytes over the watch, and the top sites, as `top --json` names a site. */
function sitesJson(sites: SiteReport) {
  const range = (values: readonly number[]) => ({ first: values[0] ?? 0, last: values.at(-1) ?? 0, min: Math.min(...values), max: Math.max(...values) })
  return {
    selector: sites.selector,
    totalBytes: range(sites.totals),
    top: sites.lines.map((line) => ({
      site: line.key,
      file: line.site.file,
      line: line.site.line,
      ...(line.site.module !== undefined && { module: line.site.module }),
      function: line.site.fn,
      first: line.range.first,
      last: line.range.last,
      min: line.range.min,
      max: line.range.max,
      peakAtMs: line.peakAt,
      calls: { first: line.calls.first, last: line.calls.last, min: line.calls.min, max: line.calls.max },
      ...(!line.accurate && { accurate: false }),
    })),
  }
}

/** RFC 4180 quoting, for labels with commas or quotes. */
function cell(value: string | number): string {
  const text = String(value)
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/**
 * One row per sample: seconds, pages of all stacks, then pages of each top stack (one column
 * each); with call sites, then the shown sites' bytes, and bytes and calls of each top site.
 */
export function reportCsv(report: WatchReport): string {
  const sites = report.sites?.lines ?? []
  const header = [
    'seconds',
    'total_pages',
    ...report.lines.map((line) => `${line.label} (${line.key})`),
    ...(report.sites ? ['sites_bytes', ...sites.flatMap((line) => [`${line.key} (bytes)`, `${line.key} (calls)`])] : []),
  ]
  const rows = report.times.map((ms, i) => [
    ms / 1000,
    report.totals[i]!,
    ...report.lines.map((line) => line.values[i]!),
    ...(report.sites ? [report.sites.totals[i]!, ...sites.flatMap((line) => [line.values[i]!, line.callValues[i]!])] : []),
  ])
  return `${[header, ...rows].map((row) => row.map(cell).join(',')).join('\n')}\n`
}
