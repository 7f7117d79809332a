import { UsageError } from '../errors.js'
import { formatAmount, formatBytes, parseBudget, toleranceAllowance, type Amount, type Budget, type Tolerance } from '../amount.js'
import type { Delta } from '../select/delta.js'
import type { SiteDelta } from '../select/site-delta.js'
import type { DeltaOptions } from '../session/measurement.js'
import { formatMessage } from './message.js'
import { asMeasurement, show, type Assertion, type Judgement, type Judges } from './receiver.js'
import { budgetRecord } from './record.js'
import { testOf } from './section.js'

/** How long toFreeAll waits, by default, for the kernel to finish freeing. */
const DEFAULT_SETTLE_MS = 1000
const SETTLE_POLL_MS = 100
/** Room left before the test's timeout for one last sample and the failure message. */
const DEADLINE_MARGIN_MS = 2000

export interface FreeOptions extends BudgetOptions {
  /**
   * Milliseconds to keep re-sampling until the pages are back (default 1000): the kernel frees
   * some pages later than the syscall that released them (per-CPU lists, LRU batches, RCU).
   */
  settle?: number
  /**
   * Flush the kernel's per-CPU page batches before each sample (see Measurement.drain). Default:
   * on for a disposable kernel (the QEMU target), off elsewhere, since it drops clean page cache.
   */
  drain?: boolean
}

export interface BudgetOptions extends DeltaOptions {
  /** Slack added to the budget (`'1 MiB'`, `'5%'`, `{ pages: 10 }`); default from the session options. */
  tolerance?: Tolerance
  /**
   * With `sites`: a limit on the calls (allocations still held) gained as well, read the way the
   * matcher reads its budget (at most for toAllocateAtMost and toFreeAll, at least for
   * toAllocateAtLeast), or `{ min?, max? }`. Both the bytes and the calls must hold.
   */
  calls?: number | { min?: number; max?: number }
}


/** What a matcher accepts: `min <= delta <= max` in the scale's unit, tolerance already applied. */
interface Bounds {
  min?: number
  max?: number
  /** The expectation in words, as the positive matcher states it. */
  expected: string
  /** Milliseconds to keep re-sampling while the verdict is not yet reached. */
  settle?: number
  /** Run before each sample (toFreeAll drains the kernel's page batches). */
  prepare?: () => Promise<void>
}

/** What a budget counts: pages of stacks, or bytes of call sites (`sites`). */
interface Scale {
  /** A budget argument in the scale's unit; throws UsageError on a malformed one. */
  amount(budget: Budget): number
  /** The tolerance in the scale's unit, relative to `base` for percentages. */
  slack(base: number): number
  /** In words: `51200 pages (200 MiB)`, or `200 MiB` for call sites. */
  words(value: number): string
  unit: 'pages' | 'bytes'
}

/**
 * One path for every budget matcher: validate the arguments (misuse throws before the kernel
 * is read), take the "after" snapshot, compute the delta of the selected stacks (pages) or call
 * sites (bytes, and calls), judge it once, and build the message from the same numbers.
 */
async function judge(
  assertion: Assertion,
  received: unknown,
  options: BudgetOptions | undefined,
  boundsOf: (scale: Scale) => Bounds,
  callsOf: (calls: number) => CallBounds = (calls) => ({ max: calls }),
): Promise<Judgement> {
  const { call } = assertion
  const measurement = asMeasurement(received, call.matcher)
  const session = measurement.session
  const pageSize = session.pageSize
  const tolerance = options?.tolerance ?? session.options.tolerance
  const selector = session.selector(options)
  const sites = selector.source === 'sites'
  const inUnit = (amount: Amount) => (sites ? amount.bytes : amount.pages)
  const words = sites ? formatBytes : (pages: number) => formatAmount(pages, pageSize)
  const toAmount = (value: number): Amount => (sites ? { bytes: value, pages: value / pageSize } : { pages: value, bytes: value * pageSize })
  const bounds = boundsOf({
    amount: (budget) => inUnit(parseBudget(budget, pageSize)),
    slack: (base) => inUnit(toleranceAllowance(tolerance, toAmount(base), pageSize)),
    words,
    unit: sites ? 'bytes' : 'pages',
  })
  const calls = callLimits(options?.calls, sites, call.matcher, callsOf)
  const isNot = call.negated
  const deadline = pollDeadline(bounds.settle ?? 0, testOf(measurement)?.deadline)
  const sample = async () => {
    await bounds.prepare?.()
    return measurement.delta(options, 'expect')
  }
  const judged = (delta: Delta | SiteDelta) => {
    const value = delta.source === 'sites' ? delta.bytes : delta.pages
    const count = delta.source === 'sites' ? delta.calls : 0
    return { value, count, outside: beyond(value, bounds), callsOutside: calls ? beyond(count, calls) : { over: 0, under: 0 } }
  }
  const holds = ({ outside, callsOutside }: ReturnType<typeof judged>) =>
    outside.over <= 0 && outside.under <= 0 && callsOutside.over <= 0 && callsOutside.under <= 0
  let delta = await sample()
  let now = judged(delta)
  // The kernel frees lazily (per-CPU page lists, RCU): re-sample until the assertion as written
  // holds (`.not` included, so `.not.toFreeAll()` returns as soon as pages are seen held) or the
  // time is up.
  while (holds(now) === isNot && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS))
    delta = await sample()
    now = judged(delta)
  }
  const pass = holds(now)
  const { outside, callsOutside } = now
  const verdicts = [
    outside.over > 0 ? `${words(outside.over)} over` : outside.under > 0 ? `${words(outside.under)} short` : undefined,
    callsOutside.over > 0 ? `${callsOutside.over} calls over` : callsOutside.under > 0 ? `${callsOutside.under} calls short` : undefined,
  ].filter(Boolean)
  const expected = bounds.expected + (calls ? `, ${callWords(calls)}` : '')
  return {
    result: {
      pass,
      message: () => formatMessage({ call, expected, delta, selector, ...(verdicts.length && { verdict: verdicts.join(', ') }) }),
    },
    record: budgetRecord({
      call,
      site: assertion.site,
      selector: delta.selector,
      expected,
      pages: now.value,
      pageSize,
      ...(sites && { unit: 'bytes' as const, calls: { measured: now.count, ...calls } }),
      pass,
      bounds,
      rows: delta.rows,
      keep: selector.names,
    }),
  }
}

/** The calls a `sites` budget accepts. */
interface CallBounds {
  min?: number
  max?: number
}

/** How far `value` lies outside `[min, max]`: `over` the top, `under` the bottom (0 or less: inside). */
function beyond(value: number, bounds: { min?: number; max?: number }): { over: number; under: number } {
  return { over: bounds.max === undefined ? 0 : value - bounds.max, under: bounds.min === undefined ? 0 : bounds.min - value }
}

/** The `calls` option, checked: only with `sites`, whole numbers, a plain number read as the matcher reads its budget. */
function callLimits(calls: BudgetOptions['calls'], sites: boolean, matcher: string, callsOf: (calls: number) => CallBounds): CallBounds | undefined {
  if (calls === undefined) return undefined
  if (!sites) throw new UsageError(`${matcher}: calls limits count allocations at call sites: give sites too`, { hint: "for example { sites: ['fs/dcache.c:*'], calls: 1000 }" })
  const whole = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0
  const bounds = typeof calls === 'number' ? callsOf(calls) : calls
  const given = typeof bounds === 'object' && bounds !== null ? Object.entries(bounds) : []
  if (given.length === 0 || given.some(([key, n]) => (key !== 'min' && key !== 'max') || !whole(n)) || (bounds.min ?? 0) > (bounds.max ?? Infinity)) {
    throw new UsageError(`${matcher}: calls must be a whole number >= 0 or { min?, max? } with min <= max, got ${show(calls)}`)
  }
  return bounds
}

function callWords({ min, max }: CallBounds): string {
  if (min !== undefined && max !== undefined) return `between ${min} and ${max} calls`
  return min !== undefined ? `at least ${min} calls` : `at most ${max} calls`
}

/**
 * Until when a matcher may re-sample: `settle` from now, but never past the test's own timeout
 * (less a margin for the last sample and the message), so a slow kernel fails the assertion
 * with its verdict rather than the test with a bare timeout.
 */
function pollDeadline(settle: number, testDeadline: number | undefined): number {
  const wanted = Date.now() + settle
  return testDeadline === undefined ? wanted : Math.min(wanted, testDeadline - DEADLINE_MARGIN_MS)
}

function toleranceNote(value: number, words: Scale['words']): string {
  return value === 0 ? '' : ` with ${words(value)} tolerance`
}

export const budgetMatchers: Judges<'toAllocateAtMost' | 'toAllocateAtLeast' | 'toAllocateBetween' | 'toFreeAll'> = {
  async toAllocateAtMost(received, budget, options) {
    return judge(this, received, options, ({ amount, slack, words }) => {
      const limit = amount(budget)
      const extra = slack(limit)
      return { max: limit + extra, expected: `at most ${words(limit)}${toleranceNote(extra, words)}` }
    })
  },
  async toAllocateAtLeast(received, budget, options) {
    return judge(this, received, options, ({ amount, slack, words }) => {
      const limit = amount(budget)
      const extra = slack(limit)
      return { min: limit - extra, expected: `at least ${words(limit)}${toleranceNote(extra, words)}` }
    }, (calls) => ({ min: calls }))
  },
  async toAllocateBetween(received, low, high, options) {
    return judge(this, received, options, ({ amount, slack, words }) => {
      const min = amount(low)
      const max = amount(high)
      if (min > max) throw new UsageError(`toAllocateBetween(${this.call.args}): the lower bound is above the upper one`)
      const below = slack(min)
      const above = slack(max)
      return {
        min: min - below,
        max: max + above,
        expected: `between ${words(min)} and ${words(max)}${toleranceNote(Math.max(below, above), words)}`,
      }
    }, () => {
      throw new UsageError(`toAllocateBetween(${this.call.args}): calls needs both ends here, { min, max }`)
    })
  },
  async toFreeAll(received, options) {
    const settle = options?.settle ?? DEFAULT_SETTLE_MS
    if (typeof settle !== 'number' || !(settle >= 0)) throw new UsageError(`toFreeAll: settle must be milliseconds >= 0, got ${show(settle)}`)
    const measurement = asMeasurement(received, 'toFreeAll')
    const drain = options?.drain ?? measurement.session.target.disposable === true
    return judge(this, received, options, ({ slack, words, unit }) => {
      const extra = slack(0)
      return { max: extra, expected: `no ${unit} still held${toleranceNote(extra, words)}`, settle, ...(drain && { prepare: () => measurement.drain() }) }
    })
  },
}

