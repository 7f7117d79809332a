import { sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Amount } from '../amount.js'
import { reportPath } from '../io/paths.js'
import type { SiteChange } from '../format/allocinfo.js'
import type { DeltaStack } from '../select/delta.js'
import type { CompiledSelector } from '../select/selector.js'
import { trimFrames } from '../select/trim.js'
import { functionNames } from '../format/stack-key.js'
import type { PageBudgetMatchers } from './matchers.js'

export type MatcherName = keyof PageBudgetMatchers

/** An assertion as the test wrote it, taken once by the wrapper every matcher runs in. */
export interface Call {
  matcher: MatcherName
  /** The arguments as the call line shows them: `'200 MiB'`, `{ comm: 'dd' }, { since: 'written' }`. */
  args: string
  negated: boolean
}

/** `.not.toAllocateAtMost('200 MiB')`: what follows `expect(pageOwner)` in messages. */
export function callText(call: Call): string {
  return `${call.negated ? '.not' : ''}.${call.matcher}(${call.args})`
}

/** Where the test wrote an assertion: file relative to the working directory, 1-based line and column. */
export interface SourceLocation {
  file: string
  line: number
  column?: number
}

export interface RecordStack {
  handle: number
  /** Pages gained (negative: freed). */
  pages: number
  /** Trimmed for display, `…` where frames were cut. */
  frames: string[]
  /** The whole stack as function names, innermost first: what stacks pair up by across kernels. */
  functions: string[]
}

/** A call site that changed (`sites` budgets): its tag, bytes and calls gained. */
export interface RecordSite {
  /** `fs/dcache.c:1690 func:__d_alloc`. */
  site: string
  bytes: number
  calls: number
}

/** One budget assertion as it was judged: what reports, attachments and the run's table show. */
export interface BudgetRecord extends Call {
  /** The selected stacks (or the owner) in words: `shmem_* & vfs_write`, `dd`. */
  selector: string
  /** The expectation in words, as the positive matcher states it. */
  expected: string
  /** What the selected stacks gained (for toRemainOwnedBy: what the owner still holds). */
  measured: Amount
  /** Whether the assertion held (the matcher's pass, taken with `.not`). */
  held: boolean
  /** The range the positive matcher accepts, tolerance applied (an absent end is open). */
  budget: { min?: Amount; max?: Amount }
  /** The selected stacks that changed most (none for a `sites` budget). */
  top: RecordStack[]
  /** For a `sites` budget: the selected call sites that changed most, and the calls gained with the limits set on them. */
  sites?: RecordSite[]
  calls?: { measured: number; min?: number; max?: number }
  location?: SourceLocation
  /** For baseline matchers: the stored pages compared against, and what happened to the file. */
  baseline?: { pages: number | null; status: 'compared' | 'written' | 'updated' }
}

/** How many stacks a record keeps for reports: enough for a comparison of two kernels to name what grew. */
export const TOP = 10

/** What a matcher judged, in pages: everything a record is made of. */
export interface Judged {
  call: Call
  site: SourceLocation | undefined
  selector: string
  expected: string
  /** Pages measured (bytes, with `unit: 'bytes'`). */
  pages: number
  pageSize: number
  /** What `pages` and `bounds` count: pages (stacks, the default) or bytes (call sites). */
  unit?: 'pages' | 'bytes'
  /** The matcher's pass, before `.not`. */
  pass: boolean
  bounds?: { min?: number; max?: number }
  /** Stacks (or sites) that changed, largest first, and the selector whose frames trimming keeps. */
  rows?: readonly DeltaStack[] | readonly SiteChange[]
  calls?: BudgetRecord['calls']
  keep?: CompiledSelector['names']
  baseline?: BudgetRecord['baseline']
}

/** The record of a judged assertion: the one place records are made. */
export function budgetRecord(judged: Judged): BudgetRecord {
  const amount = (value: number): Amount =>
    judged.unit === 'bytes' ? { pages: value / judged.pageSize, bytes: value } : { pages: value, bytes: value * judged.pageSize }
  const budget: BudgetRecord['budget'] = {}
  if (judged.bounds?.min !== undefined) budget.min = amount(judged.bounds.min)
  if (judged.bounds?.max !== undefined) budget.max = amount(judged.bounds.max)
  return {
    ...judged.call,
    selector: judged.selector,
    expected: judged.expected,
    measured: amount(judged.pages),
    held: judged.pass !== judged.call.negated,
    budget,
    ...topOf(judged),
    ...(judged.calls && { calls: judged.calls }),
    ...(judged.site && { location: judged.site }),
    ...(judged.baseline && { baseline: judged.baseline }),
  }
}

/** The stacks (or, for a `sites` budget, the call sites) that changed most. */
function topOf(judged: Judged): Pick<BudgetRecord, 'top' | 'sites'> {
  const rows = (judged.rows ?? []).slice(0, TOP)
  if (judged.unit === 'bytes') return { top: [], sites: (rows as readonly SiteChange[]).map((row) => ({ site: row.key, bytes: row.bytes, calls: row.calls })) }
  return { top: (rows as readonly DeltaStack[]).map((row) => ({ handle: row.key, pages: row.delta, frames: trimFrames(row.frames, judged.keep), functions: functionNames(row.frames) })) }
}

/**
 * page-budget's own source and build folders: frames in them are never the user's assertion.
 * Both, because source maps lead frames of the build back to the source.
 */
const OWN = ['src', 'dist'].map((dir) => fileURLToPath(new URL(`../../${dir}/`, import.meta.url)))

/**
 * The file and line of the `expect(pageOwner)...` call, from the stack: the first frame outside
 * page-budget and node_modules. Call it synchronously from the matcher, before any await, while
 * the test's frame is still on the stack. Frameworks map stacks back to TypeScript sources.
 */
export function callSite(): SourceLocation | undefined {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 50
  const stack = new Error().stack ?? ''
  Error.stackTraceLimit = limit
  for (const line of stack.split('\n').slice(1)) {
    const match = /\(?((?:file:\/\/)?\/[^()]*?):(\d+):(\d+)\)?\s*$/.exec(line)
    if (!match) continue
    const file = match[1]!.startsWith('file://') ? fileURLToPath(match[1]!) : match[1]!
    if (OWN.some((own) => file.startsWith(own)) || file.includes(`${sep}node_modules${sep}`)) continue
    return { file: reportPath(file), line: Number(match[2]), column: Number(match[3]) }
  }
  return undefined
}
