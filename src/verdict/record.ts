import { sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { reportPath } from '../io/paths.js'
import type { CompiledSelector } from '../select/selector.js'
import { trimFrames } from '../select/trim.js'
import type { BudgetRecord, RecordAmount } from '../session/measurement.js'
import type { Delta } from '../select/delta.js'

/** How many stacks a record keeps for reports. */
const TOP = 3

/**
 * page-budget's own source and build folders: frames in them are never the user's assertion.
 * Both, because source maps lead frames of the build back to the source.
 */
const OWN = ['src', 'dist'].map((dir) => fileURLToPath(new URL(`../../${dir}/`, import.meta.url)))

export interface RecordParts {
  call: string
  isNot: boolean
  expected: string
  delta: Delta
  selector: CompiledSelector
  /** The matcher's pass, before `.not`. */
  pass: boolean
  bounds: { min?: number; max?: number }
  site: BudgetRecord['location']
}

/** What a judged assertion leaves for reports: the numbers, the accepted range and the top stacks. */
export function budgetRecord(parts: RecordParts): BudgetRecord {
  const { delta, selector } = parts
  const amount = (pages: number): RecordAmount => ({ pages, bytes: pages * delta.pageSize })
  const bounds: NonNullable<BudgetRecord['bounds']> = {}
  if (parts.bounds.min !== undefined) bounds.min = amount(parts.bounds.min)
  if (parts.bounds.max !== undefined) bounds.max = amount(parts.bounds.max)
  return {
    call: `${parts.isNot ? '.not.' : ''}${parts.call}`,
    stacks: delta.selector,
    expected: parts.expected,
    measured: { pages: delta.pages, bytes: delta.bytes },
    held: parts.pass !== parts.isNot,
    bounds,
    top: delta.rows.slice(0, TOP).map((row) => ({ handle: row.key, pages: row.delta, frames: trimFrames(row.frames, selector.names) })),
    ...(parts.site && { location: parts.site }),
  }
}

/**
 * The file and line of the `expect(pageOwner)...` call, from the stack: the first frame outside
 * page-budget and node_modules. Call it synchronously from the matcher, before any await, while
 * the test's frame is still on the stack. Frameworks map stacks back to TypeScript sources.
 */
export function callSite(): BudgetRecord['location'] {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 50
  const stack = new Error().stack ?? ''
  Error.stackTraceLimit = limit
  for (const line of stack.split('\n').slice(1)) {
    const match = /\(?((?:file:\/\/)?\/[^()]*?):(\d+):\d+\)?\s*$/.exec(line)
    if (!match) continue
    const file = match[1]!.startsWith('file://') ? fileURLToPath(match[1]!) : match[1]!
    if (OWN.some((own) => file.startsWith(own)) || file.includes(`${sep}node_modules${sep}`)) continue
    return { file: reportPath(file), line: Number(match[2]) }
  }
  return undefined
}
