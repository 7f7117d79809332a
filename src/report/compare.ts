import { formatAmount, formatBytes, type Tolerance } from '../amount.js'
import { sourceName } from '../format/stack-key.js'
import type { Frame } from '../format/types.js'
import { formatKernelTag, type KernelTag } from '../kernel-build/tag.js'
import { TOP } from '../verdict/record.js'
import { formatStackList } from '../verdict/message.js'
import { increaseBreach, pageSizeOf, recordsByKey, type Breach } from './check.js'
import type { Report, ReportRecord, ReportStack, ReportTest } from './schema.js'

/** One stack of a compared assertion: its pages on each kernel (null: not listed there). */
export interface StackChange {
  /** Function names, innermost first, as the kernel that listed it prints them (the candidate's when both did). */
  functions: string[]
  base: number | null
  candidate: number | null
  /** Candidate minus base pages, a missing side counting 0. */
  growth: number
  status: 'grew' | 'shrank' | 'same' | 'new' | 'gone'
  /**
   * For `new` and `gone`: the side without it listed as many stacks as a record keeps, so the
   * stack may have changed there too, below the ones listed.
   */
  uncertain: boolean
}

/** One assertion (test, selector and its order among the test's assertions on it) on both kernels. */
export interface AssertionChange {
  file: string
  title: string[]
  selector: string
  call: string
  location: ReportRecord['location']
  /** Pages and bytes measured on each kernel (null: the assertion ran on one side only). */
  base: ReportRecord['measured'] | null
  candidate: ReportRecord['measured'] | null
  change: { pages: number; bytes: number } | null
  pageSize: number
  /** Beyond --max-increase. */
  over: boolean
  /** Largest growth first. */
  stacks: StackChange[]
}

export interface Comparison {
  base: { kernels: KernelTag[] }
  candidate: { kernels: KernelTag[] }
  /** Largest growth in pages first; assertions on one side only last. */
  assertions: AssertionChange[]
  breaches: Breach[]
}

/**
 * Two reports of the same suite on two kernels (or machines, or boots), assertion by assertion:
 * what each selector measured on both, and per stack what grew. Handles differ on every boot,
 * so stacks pair up by their function names, compiler suffixes (`.isra.0`, `.constprop.0`,
 * `.cold`) dropped because two builds may clone a function differently; stacks with the same
 * names (one function allocating at two offsets) add up. Tests pair up by file and title, and
 * by project only where a report ran one test in several projects (each report of a
 * base/candidate pair of projects holds one project, named apart).
 */
export function compareReports(base: Report, candidate: Report, maxIncrease: Tolerance): Comparison {
  const before = recordsByKey(base, comparisonKey(base))
  const after = recordsByKey(candidate, comparisonKey(candidate))
  const assertions: AssertionChange[] = []
  const breaches: Breach[] = []
  for (const [key, now] of after) {
    const was = before.get(key)
    const change = compareAssertion(was?.record, now.test, now.record)
    const breach = was && increaseBreach(was.record, now.test, now.record, maxIncrease)
    if (breach) breaches.push(breach)
    assertions.push({ ...change, over: breach !== undefined })
  }
  for (const [key, was] of before) if (!after.has(key)) assertions.push({ ...compareAssertion(was.record, was.test, undefined), over: false })
  assertions.sort((a, b) => (b.change?.pages ?? -Infinity) - (a.change?.pages ?? -Infinity))
  return { base: { kernels: kernelsOf(base) }, candidate: { kernels: kernelsOf(candidate) }, assertions, breaches }
}

function compareAssertion(base: ReportRecord | undefined, test: ReportTest, candidate: ReportRecord | undefined): Omit<AssertionChange, 'over'> {
  const record = (candidate ?? base)!
  return {
    file: test.file,
    title: test.title,
    selector: record.selector,
    call: record.call,
    location: record.location,
    base: base?.measured ?? null,
    candidate: candidate?.measured ?? null,
    change: base && candidate ? { pages: candidate.measured.pages - base.measured.pages, bytes: candidate.measured.bytes - base.measured.bytes } : null,
    pageSize: pageSizeOf(record),
    stacks: compareStacks(base?.top ?? [], candidate?.top ?? [], base !== undefined && candidate !== undefined),
  }
}

function compareStacks(base: readonly ReportStack[], candidate: readonly ReportStack[], paired: boolean): StackChange[] {
  const before = byFunctions(base)
  const after = byFunctions(candidate)
  const changes: StackChange[] = []
  for (const [key, now] of after) {
    const was = before.get(key)
    changes.push(stackChange(now.functions, was?.pages ?? null, now.pages, paired && base.length >= TOP))
  }
  for (const [key, was] of before) if (!after.has(key)) changes.push(stackChange(was.functions, was.pages, null, paired && candidate.length >= TOP))
  return changes.sort((a, b) => b.growth - a.growth)
}

function stackChange(functions: string[], base: number | null, candidate: number | null, listFull: boolean): StackChange {
  const growth = (candidate ?? 0) - (base ?? 0)
  const status = base === null ? 'new' : candidate === null ? 'gone' : growth > 0 ? 'grew' : growth < 0 ? 'shrank' : 'same'
  return { functions, base, candidate, growth, status, uncertain: (status === 'new' || status === 'gone') && listFull }
}

/** A record's stacks by their names without compiler suffixes; stacks of the same names add up. */
function byFunctions(stacks: readonly ReportStack[]): Map<string, { functions: string[]; pages: number }> {
  const map = new Map<string, { functions: string[]; pages: number }>()
  for (const stack of stacks) {
    // Reports of older versions hold only the trimmed frames.
    const functions = stack.functions ?? stack.frames.filter((frame) => frame !== '…')
    const key = functions.map(sourceName).join('\n')
    const entry = map.get(key)
    if (entry) entry.pages += stack.pages
    else map.set(key, { functions, pages: stack.pages })
  }
  return map
}

/**
 * Tests by file and title; a report that ran one test in several projects keeps them apart by
 * project too (the two reports of a base/candidate pair each hold one project, named apart).
 */
function comparisonKey(report: Report): (test: ReportTest) => string {
  const seen = new Map<string, number>()
  const plain = (test: ReportTest) => JSON.stringify([test.file, ...test.title])
  for (const test of report.tests) seen.set(plain(test), (seen.get(plain(test)) ?? 0) + 1)
  return (test) => (seen.get(plain(test))! > 1 ? JSON.stringify([test.file, test.project, ...test.title]) : plain(test))
}

function kernelsOf(report: Report): KernelTag[] {
  const tags = new Map<string, KernelTag>()
  for (const test of report.tests) if (test.kernel) tags.set(JSON.stringify(test.kernel), test.kernel)
  return [...tags.values()]
}

/** Stacks a comparison prints per assertion. */
const SHOWN = 5

/** The comparison as people read it: the kernels, each assertion's change, then its stacks by growth, trimmed as failure messages trim them. */
export function formatComparison(comparison: Comparison): string {
  const kernels = (tags: KernelTag[]) => (tags.length ? tags.map(formatKernelTag).join('; ') : 'kernel not recorded')
  const lines = [`base:      ${kernels(comparison.base.kernels)}`, `candidate: ${kernels(comparison.candidate.kernels)}`, '']
  for (const assertion of comparison.assertions) {
    lines.push(`${assertion.title.join(' > ')}: ${assertion.call} on ${assertion.selector}`)
    lines.push(`  ${changeWords(assertion)}${assertion.over ? '  OVER' : ''}`)
    const shown = assertion.stacks.filter((stack) => stack.growth !== 0).slice(0, SHOWN)
    if (shown.length > 0) {
      const rows = shown.map((stack) => ({ headline: stackHeadline(stack, assertion.pageSize), frames: stack.functions.map(nameFrame) }))
      lines.push(...formatStackList(`  Stacks by growth (${shown.length} of ${assertion.stacks.length}):`, rows).map((line) => (line ? `  ${line}` : line)))
    } else lines.push('')
  }
  return lines.join('\n').trimEnd()
}

function changeWords(assertion: AssertionChange): string {
  const { base, candidate, change } = assertion
  if (!base) return `new: ${formatBytes(candidate!.bytes)} (only the candidate has it)`
  if (!candidate || !change) return `gone: ${formatBytes(base.bytes)} (only the base has it)`
  const sign = change.pages > 0 ? '+' : ''
  const percent = base.pages ? ` (${sign}${((change.pages / Math.abs(base.pages)) * 100).toFixed(1)}%)` : ''
  return `${base.pages} -> ${candidate.pages} pages (${formatBytes(base.bytes)} -> ${formatBytes(candidate.bytes)}): ${sign}${change.pages} pages${percent}`
}

function stackHeadline(stack: StackChange, pageSize: number): string {
  const sign = stack.growth > 0 ? '+' : ''
  const growth = `${sign}${formatAmount(stack.growth, pageSize)}`
  if (stack.status === 'new') return `${growth}, new${stack.uncertain ? " (or below the base's listed stacks)" : ''}: 0 -> ${stack.candidate}`
  if (stack.status === 'gone') return `${growth}, gone${stack.uncertain ? " (or below the candidate's listed stacks)" : ''}: ${stack.base} -> 0`
  return `${growth} (${stack.base} -> ${stack.candidate})`
}

/** A function name as a frame, for the trimming failure messages use (offsets are not kept in reports). */
function nameFrame(fn: string): Frame {
  return { fn, offset: 0, size: 0, raw: fn }
}
