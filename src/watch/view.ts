import { renderTable } from '../report/table.js'
import { formatBytes } from '../amount.js'
import type { AlertCrossing } from './alerts.js'
import { formatElapsed } from './duration.js'
import type { Watch } from './engine.js'
import { stackLabel } from './label.js'

/** What the terminal shows while a watch runs. */
export interface View {
  sample(watch: Watch, index: number, at: number): Promise<void>
  alert(watch: Watch, crossing: AlertCrossing): void
  /** Leaves the terminal tidy (the last table stays on screen). */
  end(): void
}

export interface TopRow {
  key: number
  pages: number
  change: number
  label: string
}

/** A call site in the view: what it holds now and what it gained since the first sample. */
export interface SiteRow {
  id: number
  /** `fs/dcache.c:1909 func:__d_alloc`. */
  key: string
  bytes: number
  change: number
  calls: number
  callChange: number
}

/** The `n` kept entries with the largest values, largest first (ties by key), in one pass. */
function largest(entries: Iterable<[number, number]>, n: number, keep: (key: number) => boolean): [number, number][] {
  const best: [number, number][] = []
  for (const [key, value] of entries) {
    if (!keep(key)) continue
    if (best.length === n && value <= best[n - 1]![1]) continue
    best.push([key, value])
    best.sort((a, b) => b[1] - a[1] || a[0] - b[0])
    if (best.length > n) best.pop()
  }
  return best
}

/** The selected stacks holding the most pages now, labelled (only these few are resolved). */
export async function topRows(watch: Watch, n: number): Promise<TopRow[]> {
  const best = largest(watch.series.current, n, (key) => watch.selected(key))
  const frames = await watch.resolve(best.map(([key]) => key))
  const first = watch.series.first
  return best.map(([key, pages]) => ({ key, pages, change: pages - (first.get(key) ?? 0), label: stackLabel(key, frames.get(key), watch.selector.names) }))
}

/** The selected call sites holding the most bytes now (none when the watch does not read allocinfo). */
export function topSiteRows(watch: Watch, n: number): SiteRow[] {
  const sites = watch.sites
  if (!sites) return []
  const calls = sites.calls.current
  return largest(sites.bytes.current, n, (id) => watch.selectedSite(id)).map(([id, bytes]) => ({
    id,
    key: sites.key(id),
    bytes,
    change: bytes - (sites.bytes.first.get(id) ?? 0),
    calls: calls.get(id) ?? 0,
    callChange: (calls.get(id) ?? 0) - (sites.calls.first.get(id) ?? 0),
  }))
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n))

const signedBytes = (n: number) => (n > 0 ? `+${formatBytes(n)}` : formatBytes(n))

/** Bytes held by the call sites the view shows, now and at the first sample. */
function siteTotals(watch: Watch): { now: number; first: number } {
  const sum = (counts: ReadonlyMap<number, number>) => {
    let total = 0
    for (const [id, bytes] of counts) if (watch.selectedSite(id)) total += bytes
    return total
  }
  return { now: sum(watch.sites!.bytes.current), first: sum(watch.sites!.bytes.first) }
}

function headline(watch: Watch, index: number, at: number): string {
  const totals = watch.series.totals
  const total = totals[index]!
  const pageSize = watch.session.pageSize
  const stacks = `${formatElapsed(at)}  sample ${index + 1}  all stacks ${formatBytes(total * pageSize)} (${signed(total - totals[0]!)} pages since start)`
  if (!watch.sites) return stacks
  const sites = siteTotals(watch)
  return `${stacks}  sites ${watch.siteDescription} ${formatBytes(sites.now)} (${signedBytes(sites.now - sites.first)} since start)`
}

/** A crossing in words: when (since the first sample, and the wall-clock time with `startedAt`), how much, and the stacks or call sites behind it. */
export function alertLine(crossing: AlertCrossing, label: (key: number) => string, pageSize: number, startedAt?: string): string {
  const when = startedAt ? ` ${new Date(Date.parse(startedAt) + crossing.at).toISOString()}` : ''
  const verb = crossing.kind === 'crossed' ? 'went over' : 'came back under'
  const [limit, held, who] = crossing.source === 'stacks'
    ? [crossing.limitPages * pageSize, formatBytes(crossing.pages * pageSize), crossing.top.map(({ key, pages }) => `${label(key)} (handle ${key}) ${formatBytes(pages * pageSize)}`)]
    : [crossing.limitBytes, `${formatBytes(crossing.bytes)} in ${crossing.calls} calls`, crossing.top.map(({ site, bytes, calls }) => `${site} ${formatBytes(bytes)} in ${calls} calls`)]
  return `ALERT ${crossing.alert}: ${verb} ${formatBytes(limit)} at ${formatElapsed(crossing.at)}${when} (sample ${crossing.sample + 1}): ${held}${who.length ? `; largest: ${who.join('; ')}` : ''}`
}

/** A crossing as it happens, its stacks named from the frames resolved while watching. */
function watchAlertLine(watch: Watch, crossing: AlertCrossing): string {
  return alertLine(crossing, (key) => stackLabel(key, watch.frames.get(key), watch.selector.names), watch.session.pageSize)
}

/**
 * A terminal: the top-N table redrawn in place each sample (cursor up, clear to the end), alerts
 * printed above it so they stay in the scrollback.
 */
export function liveView(write: (text: string) => void, title: string, top: number): View {
  let drawn = 0
  const clear = () => {
    if (drawn > 0) write(`\x1b[${drawn}A\x1b[0J`)
    drawn = 0
  }
  return {
    async sample(watch, index, at) {
      const pageSize = watch.session.pageSize
      const rows = await topRows(watch, top)
      const table = renderTable(
        ['handle', 'pages', 'size', 'change', 'stack'],
        rows.map((row) => [row.key, row.pages, formatBytes(row.pages * pageSize), signed(row.change), row.label]),
      )
      const sites = watch.sites
        ? `${renderTable(['call site', 'bytes', 'size', 'change', 'calls', 'change'], topSiteRows(watch, top).map((row) => [row.key, row.bytes, formatBytes(row.bytes), signedBytes(row.change), row.calls, signed(row.callChange)]))}\n`
        : ''
      const text = `${title}\n${headline(watch, index, at)}\n${table}\n${sites}(Ctrl-C stops and writes what was collected)\n`
      clear()
      write(text)
      drawn = text.split('\n').length - 1
    },
    alert(watch, crossing) {
      clear()
      write(`${watchAlertLine(watch, crossing)}\n`)
    },
    end() {
      drawn = 0
    },
  }
}

/** Not a terminal (a pipe, a CI log): one plain line per sample with the top three stacks (`write` ends the line). */
export function lineView(write: (text: string) => void): View {
  return {
    async sample(watch, index, at) {
      const pageSize = watch.session.pageSize
      const rows = await topRows(watch, 3)
      const top = rows.map((row) => `${row.label} ${formatBytes(row.pages * pageSize)} (${signed(row.change)})`).join('; ')
      const sites = topSiteRows(watch, 3).map((row) => `${row.key} ${formatBytes(row.bytes)} (${signedBytes(row.change)}, ${signed(row.callChange)} calls)`).join('; ')
      write(`${headline(watch, index, at)}; top: ${top}${watch.sites ? `; sites: ${sites}` : ''}`)
    },
    alert(watch, crossing) {
      write(watchAlertLine(watch, crossing))
    },
    end() {},
  }
}
