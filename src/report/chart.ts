/** One stack's curve. */
export interface ChartLine {
  /** The stack handle, kept on the SVG element for tools that read the chart. */
  id: number
  /** The legend's name for it (its most telling frame). */
  label: string
  /** More of the stack, for the tooltip. */
  detail: string
  /** Pages at each time. */
  values: readonly number[]
}

/** One call site's curve (/proc/allocinfo), drawn in a panel of its own below the stacks. */
export interface SiteChartLine {
  /** The site's key, `fs/dcache.c:1909 func:__d_alloc`: its legend name and data attribute. */
  site: string
  /** Calls and accuracy, for the tooltip. */
  detail: string
  /** Bytes at each time. */
  values: readonly number[]
}

export interface ChartInput {
  title: string
  subtitle: string
  /** Milliseconds since the first sample, one per value. */
  times: readonly number[]
  pageSize: number
  lines: readonly ChartLine[]
  /** Call sites, when the watch read allocinfo: bytes on an axis of their own, since they are often a thousandth of the pages. */
  sites?: readonly SiteChartLine[]
  /** Vertical markers (alerts): when, and what happened. */
  marks: readonly { at: number; text: string }[]
}

const WIDTH = 960
const HEIGHT = 420
const MARGIN = { left: 84, right: 16, top: 16, bottom: 44 }
/** Colour-blind-safe categorical palette (Okabe–Ito, then Tableau), ten lines before it repeats. */
const COLORS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000', '#f0e442', '#8c564b', '#7f7f7f']
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** 1, 2 or 5 times a power of ten, so that about `count` steps cover `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / count
  const power = 10 ** Math.floor(Math.log10(raw))
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw)!
}

/** Axis ticks from 0 to at least `max`, in a unit people read (MiB for MiB-sized data). */
function byteTicks(maxBytes: number): { ticks: number[]; label: (bytes: number) => string } {
  const unit = Math.min(UNITS.length - 1, Math.max(0, Math.floor(Math.log2(Math.max(maxBytes, 1)) / 10)))
  const scale = 1024 ** unit
  const step = niceStep(Math.max(maxBytes / scale, 1), 5) * scale
  const ticks = Array.from({ length: Math.ceil(maxBytes / step) + 1 }, (_, i) => i * step)
  return { ticks, label: (bytes) => `${Number((bytes / scale).toFixed(2))} ${UNITS[unit]}` }
}

/**
 * Pages over time as a self-contained HTML page: inline SVG and CSS, no script and nothing
 * fetched, so it opens from a CI artifact or a mail attachment. Each curve is a polyline that
 * carries its handle and label as data attributes, and a <title> tooltip with its stack. Call
 * sites, when given, are a second plot below, their curves carrying the site's key.
 */
export function renderChart(input: ChartInput): string {
  const stacks = panel(input, 'pages per allocation stack', input.lines.map((line) => {
    const peak = Math.max(...line.values)
    return {
      attributes: `class="stack" data-handle="${line.id}" data-label="${escape(line.label)}" data-peak-pages="${peak}"`,
      item: `data-handle="${line.id}"`,
      label: line.label,
      name: `handle ${line.id}`,
      detail: line.detail,
      bytes: line.values.map((pages) => pages * input.pageSize),
    }
  }))
  const sites = input.sites && panel(input, 'bytes per call site (/proc/allocinfo)', input.sites.map((line) => ({
    attributes: `class="site" data-site="${escape(line.site)}" data-peak-bytes="${Math.max(...line.values)}"`,
    item: `data-site="${escape(line.site)}"`,
    label: line.site,
    name: 'call site',
    detail: line.detail,
    bytes: line.values,
  })))
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escape(input.title)}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 18px; margin: 0 0 4px; }
p.subtitle { margin: 0 0 12px; color: #555; }
svg { display: block; max-width: 100%; height: auto; }
.grid { stroke: #e4e4e4; }
.tick, .axis { font-size: 12px; fill: #555; }
h2 { font-size: 16px; margin: 24px 0 8px; }
.stack, .site { fill: none; stroke-width: 2; stroke-linejoin: round; }
.mark line { stroke: #c00; stroke-dasharray: 4 3; }
ul.legend { list-style: none; padding: 0; margin: 12px 0 0; }
ul.legend li { margin: 2px 0; }
.swatch { display: inline-block; width: 14px; height: 4px; margin-right: 6px; vertical-align: middle; }
.peak, .handle { color: #666; }
</style>
</head>
<body>
<h1>${escape(input.title)}</h1>
<p class="subtitle">${escape(input.subtitle)}</p>
${stacks}${sites ? `\n<h2>Call sites</h2>\n${sites}` : ''}
</body>
</html>
`
}

/** A curve as a panel draws it: its SVG attributes, legend name and values in bytes. */
interface Curve {
  attributes: string
  /** The legend item's data attribute. */
  item: string
  label: string
  /** What the tooltip and legend call it besides its label (`handle 1572869`, `call site`). */
  name: string
  detail: string
  bytes: readonly number[]
}

/** One plot (its own y axis in bytes, the shared time axis and alert marks) and its legend. */
function panel(input: ChartInput, what: string, curves: readonly Curve[]): string {
  const maxMs = Math.max(input.times.at(-1) ?? 0, 1)
  const maxBytes = Math.max(1, ...curves.map((curve) => Math.max(...curve.bytes)))
  const y = byteTicks(maxBytes)
  const top = y.ticks.at(-1)!
  const plotW = WIDTH - MARGIN.left - MARGIN.right
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom
  const px = (ms: number) => MARGIN.left + (ms / maxMs) * plotW
  const py = (bytes: number) => MARGIN.top + plotH - (bytes / top) * plotH
  const xStep = niceStep(maxMs / 1000, 8)
  const xTicks = Array.from({ length: Math.floor(maxMs / 1000 / xStep) + 1 }, (_, i) => i * xStep)

  const grid = [
    ...y.ticks.map((b) => `<line class="grid" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${py(b).toFixed(1)}" y2="${py(b).toFixed(1)}"/><text class="tick" x="${MARGIN.left - 6}" y="${(py(b) + 4).toFixed(1)}" text-anchor="end">${y.label(b)}</text>`),
    ...xTicks.map((s) => `<text class="tick" x="${px(s * 1000).toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${Number(s.toFixed(3))} s</text>`),
    `<text class="axis" x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 6}" text-anchor="middle">time since the first sample</text>`,
  ]
  const marks = input.marks.map((m) => `<g class="mark"><line x1="${px(m.at).toFixed(1)}" x2="${px(m.at).toFixed(1)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}"/><title>${escape(m.text)}</title></g>`)
  const lines = curves.map((curve, i) => {
    const points = curve.bytes.map((bytes, j) => `${px(input.times[j]!).toFixed(1)},${py(bytes).toFixed(1)}`).join(' ')
    return `<polyline ${curve.attributes} stroke="${COLORS[i % COLORS.length]}" points="${points}"><title>${escape(`${curve.label} (${curve.name}), peak ${y.label(Math.max(...curve.bytes))}\n${curve.detail}`)}</title></polyline>`
  })
  const legend = curves.map((curve, i) => `<li ${curve.item}><span class="swatch" style="background:${COLORS[i % COLORS.length]}"></span><span class="label">${escape(curve.label)}</span> <span class="peak">peak ${y.label(Math.max(...curve.bytes))}</span> <span class="handle">${escape(curve.name)}</span></li>`)
  const label = `${input.title}: ${what}`
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escape(label)}">
${[...grid, ...marks, ...lines].join('\n')}
</svg>
<ul class="legend">
${legend.join('\n')}
</ul>`
}
