import { functionNames } from '../format/stack-key.js'
import type { CompiledSelector } from '../select/selector.js'
import type { Delta } from '../select/delta.js'
import type { BaselineEntry } from './baseline-file.js'
import { formatAmount } from '../amount.js'
import { formatStackList } from './message.js'

/** Stacks a baseline keeps: enough to name what grew, few enough to keep the file readable. */
const KEPT = 10
/** Stacks a failure message lists. */
const SHOWN = 5

/** The baseline entry for a delta: its pages and the stacks that changed most, by frames. */
export function baselineEntry(delta: Delta, kernel: string): BaselineEntry {
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
export function growthLines(delta: Delta, entry: BaselineEntry, selector: CompiledSelector): string[] {
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
