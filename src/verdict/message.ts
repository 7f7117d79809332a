import { trimFrames } from '../select/trim.js'
import type { CompiledSelector } from '../select/selector.js'
import type { Delta } from '../snapshot/delta.js'
import { SAMPLE_PATH_NOTES } from '../target/probe.js'
import { formatAmount } from './budget.js'

/** How many stacks a failure message lists. */
const TOP = 5

export interface MessageParts {
  /** `toAllocateAtMost('200 MiB')` */
  call: string
  isNot: boolean
  /** `at most 51200 pages (200 MiB)`: the expectation, as the positive matcher states it. */
  expected: string
  delta: Delta
  selector: CompiledSelector
  /** A sentence after Received, e.g. `14336 pages (56 MiB) over the budget`. */
  verdict?: string
}

/**
 * The one failure-message layout every matcher uses (Vitest and Playwright alike): what was
 * expected, what was measured in pages and bytes, the stacks that contributed most (trimmed to
 * the frames that matter), and which two snapshots were compared.
 */
export function formatMessage(parts: MessageParts): string {
  const { delta, selector } = parts
  const lines = [
    `expect(pageOwner)${parts.isNot ? '.not' : ''}.${parts.call}`,
    '',
    `Stacks:   ${delta.selector}`,
    `Expected: ${parts.isNot ? 'not ' : ''}${parts.expected}`,
    `Received: ${formatAmount(delta.pages, delta.pageSize)}${parts.verdict ? `, ${parts.verdict}` : ''}`,
    '',
    ...formatTopStacks(delta, selector),
    formatComparison(delta),
  ]
  return lines.join('\n')
}

function formatTopStacks(delta: Delta, selector: CompiledSelector): string[] {
  if (delta.rows.length === 0) return ['No selected stack changed.', '']
  const shown = delta.rows.slice(0, TOP)
  const lines = [`Top stacks (${shown.length} of ${delta.rows.length} selected that changed):`]
  for (const row of shown) {
    const sign = row.delta > 0 ? '+' : ''
    lines.push(`  handle ${row.key}: ${sign}${formatAmount(row.delta, delta.pageSize)} (${row.before} -> ${row.after})`)
    const frames = row.frames.length ? trimFrames(row.frames, selector.names) : ['(stack no longer listed by the kernel)']
    for (const frame of frames) lines.push(`      ${frame}`)
  }
  lines.push('')
  return lines
}

function formatComparison(delta: Delta): string {
  const { before, after } = delta
  const seconds = ((after.takenAt - before.takenAt) / 1000).toFixed(1)
  const sign = delta.totalPages > 0 ? '+' : ''
  return [
    `Compared: '${before.label}' -> '${after.label}' (${seconds} s apart, boot ${before.bootId.slice(0, 8)})`,
    `          all stacks ${sign}${formatAmount(delta.totalPages, delta.pageSize)}; read through ${SAMPLE_PATH_NOTES[after.path]}`,
  ].join('\n')
}
