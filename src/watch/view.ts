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

/** The selected stacks holding the most pages now, labelled (only these few are resolved). */
export async function topRows(watch: Watch, n: number): Promise<TopRow[]> {
  const best: [number, number][] = []
  for (const [key, pages] of watch.series.current) {
    if (!watch.selected(key)) continue
    if (best.length === n && pages <= best[n - 1]![1]) continue
    best.push([key, pages])
    best.sort((a, b) => b[1] - a[1] || a[0] - b[0])
    if (best.length > n) best.pop()
  }
  const frames = await watch.resolve(best.map(([key]) => key))
  const first = watch.series.first
  return best.map(([key, pages]) => ({ key, pages, change: pages - (first.get(key) ?? 0), label: stackLabel(key, frames.get(key), watch.selector.names) }))
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n))

function headline(watch: Watch, index: number, at: number): string {
  const totals = watch.series.totals
  const total = totals[index]!
  const pageSize = watch.session.pageSize
  return `${formatElapsed(at)}  sample ${index + 1}  all stacks ${formatBytes(total * pageSize)} (${signed(total - totals[0]!)} pages since start)`
}

/** A crossing in words: when (since the first sample, and the wall-clock time with `startedAt`), how much, and the stacks behind it. */
export function alertLine(crossing: AlertCrossing, label: (key: number) => string, pageSize: number, startedAt?: string): string {
  const when = startedAt ? ` ${new Date(Date.parse(startedAt) + crossing.at).toISOString()}` : ''
  const verb = crossing.kind === 'crossed' ? 'went over' : 'came back under'
  const who = crossing.top.map(({ key, pages }) => `${label(key)} (handle ${key}) ${formatBytes(pages * pageSize)}`).join('; ')
  return `ALERT ${crossing.alert}: ${verb} ${formatBytes(crossing.limitPages * pageSize)} at ${formatElapsed(crossing.at)}${when} (sample ${crossing.sample + 1}): ${formatBytes(crossing.pages * pageSize)}${who ? `; largest: ${who}` : ''}`
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
      const text = `${title}\n${headline(watch, index, at)}\n${table}\n(Ctrl-C stops and writes what was collected)\n`
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
      write(`${headline(watch, index, at)}; top: ${top}`)
    },
    alert(watch, crossing) {
      write(watchAlertLine(watch, crossing))
    },
    end() {},
  }
}
