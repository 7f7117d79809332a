import { functionNames } from '../format/stack-key.js'
import type { CompiledSelector } from '../select/selector.js'
import type { Delta } from '../select/delta.js'
import type { SiteDelta } from '../select/site-delta.js'
import type { BaselineEntry } from './baseline-file.js'
import { formatAmount, formatBytes } from '../amount.js'
import { formatStackList } from './message.js'

/** Stacks a baseline keeps: enough to name what grew, few enough to keep the file readable. */
const KEPT = 10
/** Stacks a failure message lists. */
const SHOWN = 5

/**
 * The baseline entry for a delta: its pages and the stacks that changed most, by frames; for
 * call sites, bytes as pages of the page size (exact: it is a power of two) and the sites by tag.
 */
export function baselineEntry(delta: Delta | SiteDelta, kernel: string): BaselineEntry {
  if (delta.source === 'sites') {
    const sites = delta.rows.slice(0, KEPT).map((row) => ({ site: row.key, bytes: row.bytes }))
    return { pages: delta.bytes / delta.pageSize, pageSize: delta.pageSize, kernel, stacks: [], sites }
  }
  return {
    pages: delta.pages,
    pageSize: delta.pageSize,
    kernel,
    stacks: delta.rows.slice(0, KEPT).map((row) => ({ frames: functionNames(row.frames), pages: row.delta })),
  }
}

/**
 * The stacks whose pages grew against the baseline, as message lines. Handles differ across
 * boots, so stacks pair up by their function names; a stack the baseline did not keep counts
 * as 0 there.
 */
export function growthLines(delta: Delta | SiteDelta, entry: BaselineEntry, selector: CompiledSelector): string[] {
  if (delta.source === 'sites') return siteGrowthLines(delta, entry)
  const before = new Map(entry.stacks.map((stack) => [stack.frames.join('\n'), stack.pages]))
  const grown = delta.rows
    .map((row) => {
      const was = before.get(functionNames(row.frames).join('\n')) ?? 0
      return { row, was, growth: row.delta - was }
    })
    .filter(({ growth }) => growth > 0)
    .sort((a, b) => b.growth - a.growth)
  if (grown.length === 0) return ['No single stack grew: the pages moved between stacks.']
  const shown = grown.slice(0, SHOWN).map(({ row, was, growth }) => ({
    headline: `+${formatAmount(growth, delta.pageSize)} (${was} -> ${row.delta}), handle ${row.key}`,
    frames: row.frames,
  }))
  // The message puts its own blank line after these details.
  return formatStackList(`Stacks that grew since the baseline (${shown.length} of ${grown.length}):`, shown, selector.names).slice(0, -1)
}

/** The call sites whose bytes grew against the baseline; sites keep their tags across boots. */
function siteGrowthLines(delta: SiteDelta, entry: BaselineEntry): string[] {
  const before = new Map((entry.sites ?? []).map((site) => [site.site, site.bytes]))
  const grown = delta.rows
    .map((row) => ({ row, was: before.get(row.key) ?? 0 }))
    .map(({ row, was }) => ({ row, was, growth: row.bytes - was }))
    .filter(({ growth }) => growth > 0)
    .sort((a, b) => b.growth - a.growth)
  if (grown.length === 0) return ['No single call site grew: the bytes moved between sites.']
  const shown = grown.slice(0, SHOWN)
  return [
    `Call sites that grew since the baseline (${shown.length} of ${grown.length}):`,
    ...shown.map(({ row, was, growth }) => `  +${formatBytes(growth)} (${formatBytes(was)} -> ${formatBytes(row.bytes)}), ${row.key}`),
  ]
}
