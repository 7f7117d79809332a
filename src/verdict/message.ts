import type { Frame } from '../format/types.js'
import { trimFrames } from '../select/trim.js'
import type { CompiledSelector } from '../select/selector.js'
import type { Delta } from '../select/delta.js'
import type { SiteDelta } from '../select/site-delta.js'
import type { Snapshot } from '../snapshot/snapshot.js'
import { SAMPLE_PATH_NOTES } from '../target/probe.js'
import { formatAmount, formatBytes } from '../amount.js'
import { callText, type Call } from './record.js'

/** How many stacks a failure message lists. */
const TOP = 5

export interface MessageParts {
  call: Call
  /** `at most 51200 pages (200 MiB)`: the expectation, as the positive matcher states it. */
  expected: string
  delta: Delta | SiteDelta
  selector: CompiledSelector
  /** A sentence after Received, e.g. `14336 pages (56 MiB) over the budget`. */
  verdict?: string
  /** Lines after Received that only some matchers have (a baseline's before/after and the stacks that grew). */
  details?: string[]
}

/**
 * The one failure-message layout every matcher uses (Vitest and Playwright alike): what was
 * expected, what was measured in pages and bytes, the stacks that contributed most (trimmed to
 * the frames that matter), and which two snapshots were compared.
 */
export function formatMessage(parts: MessageParts): string {
  const { delta, selector } = parts
  const sites = delta.source === 'sites'
  const received = sites ? `${formatBytes(delta.bytes)} in ${delta.calls} ${Math.abs(delta.calls) === 1 ? 'call' : 'calls'}` : formatAmount(delta.pages, delta.pageSize)
  const lines = [
    `expect(pageOwner)${callText(parts.call)}`,
    '',
    `${sites ? 'Sites:    ' : 'Stacks:   '}${delta.selector}`,
    `Expected: ${parts.call.negated ? 'not ' : ''}${parts.expected}`,
    `Received: ${received}${parts.verdict ? `, ${parts.verdict}` : ''}`,
    '',
    ...(parts.details?.length ? [...parts.details, ''] : []),
    ...(sites ? formatTopSites(delta) : formatTopStacks(delta, selector)),
    sites ? formatSiteComparison(delta) : formatComparison(delta),
  ]
  return lines.join('\n')
}

function formatTopSites(delta: SiteDelta): string[] {
  if (delta.rows.length === 0) return ['No selected call site changed.', '']
  const shown = delta.rows.slice(0, TOP)
  const sign = (n: number) => (n > 0 ? '+' : '')
  return [
    `Top call sites (${shown.length} of ${delta.rows.length} selected that changed):`,
    ...shown.map((row) =>
      `  ${row.key}: ${sign(row.bytes)}${formatBytes(row.bytes)} in ${sign(row.calls)}${row.calls} calls (${formatBytes(row.before)} -> ${formatBytes(row.after)})${row.accurate ? '' : ', accurate:no'}`),
    '',
  ]
}

function formatSiteComparison(delta: SiteDelta): string {
  return [
    formatCompared(delta.before, delta.after),
    `          all call sites ${delta.totalBytes > 0 ? '+' : ''}${formatBytes(delta.totalBytes)}; read through /proc/allocinfo (bytes and calls per call site)`,
  ].join('\n')
}

function formatTopStacks(delta: Delta, selector: CompiledSelector): string[] {
  if (delta.rows.length === 0) return ['No selected stack changed.', '']
  const shown = delta.rows.slice(0, TOP)
  return formatStackList(
    `Top stacks (${shown.length} of ${delta.rows.length} selected that changed):`,
    shown.map((row) => ({
      headline: `handle ${row.key}: ${row.delta > 0 ? '+' : ''}${formatAmount(row.delta, delta.pageSize)} (${row.before} -> ${row.after})`,
      frames: row.frames,
    })),
    selector.names,
  )
}

/** A titled list of stacks, each a headline and its frames trimmed to what matters; ends with a blank line. */
export function formatStackList(title: string, rows: readonly { headline: string; frames: readonly Frame[] }[], keep?: (frame: Frame) => boolean): string[] {
  const lines = [title]
  for (const row of rows) {
    lines.push(`  ${row.headline}`)
    const frames = row.frames.length ? trimFrames(row.frames, keep) : ['(stack no longer listed by the kernel)']
    for (const frame of frames) lines.push(`      ${frame}`)
  }
  lines.push('')
  return lines
}

function formatComparison(delta: Delta): string {
  const { before, after } = delta
  const sign = delta.totalPages > 0 ? '+' : ''
  return [
    formatCompared(before, after),
    `          all stacks ${sign}${formatAmount(delta.totalPages, delta.pageSize)}; read through ${SAMPLE_PATH_NOTES[after.path]}`,
  ].join('\n')
}

/** `Compared: 'start' -> 'expect' (1.2 s apart, boot cf9880ef)`: which two instants a verdict is about. */
export function formatCompared(before: Pick<Snapshot, 'label' | 'takenAt' | 'bootId'>, after: Pick<Snapshot, 'label' | 'takenAt'>): string {
  const seconds = ((after.takenAt - before.takenAt) / 1000).toFixed(1)
  return `Compared: '${before.label}' -> '${after.label}' (${seconds} s apart, boot ${before.bootId.slice(0, 8)})`
}
