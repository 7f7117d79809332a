import { UsageError } from '../errors.js'
import { formatAmount, parseBudget, toleranceAllowance, type Amount, type Budget, type Tolerance } from '../amount.js'
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
}


/** The pages a matcher accepts: `min <= delta <= max`, tolerance already applied. */
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

interface Scale {
  /** A budget argument in pages; throws UsageError on a malformed one. */
  amount(budget: Budget): Amount
  /** The tolerance in pages, relative to `base` for percentages. */
  slack(base: Amount): number
  /** Pages in words with bytes: `51200 pages (200 MiB)`. */
  words(pages: number): string
}

/**
 * One path for every budget matcher: validate the arguments (misuse throws before the kernel
 * is read), take the "after" snapshot, compute the delta of the selected stacks, judge it once,
 * and build the message from the same numbers.
 */
async function judge(
  assertion: Assertion,
  received: unknown,
  options: BudgetOptions | undefined,
  boundsOf: (scale: Scale) => Bounds,
): Promise<Judgement> {
  const { call } = assertion
  const measurement = asMeasurement(received, call.matcher)
  const session = measurement.session
  const pageSize = session.pageSize
  const tolerance = options?.tolerance ?? session.options.tolerance
  const words = (pages: number) => formatAmount(pages, pageSize)
  const bounds = boundsOf({
    amount: (budget) => parseBudget(budget, pageSize),
    slack: (base) => toleranceAllowance(tolerance, base, pageSize).pages,
    words,
  })
  const selector = session.selector(options)
  const isNot = call.negated
  const deadline = pollDeadline(bounds.settle ?? 0, testOf(measurement)?.deadline)
  const sample = async () => {
    await bounds.prepare?.()
    return measurement.delta(options, 'expect')
  }
  const outside = (pages: number) => ({
    over: bounds.max === undefined ? 0 : pages - bounds.max,
    under: bounds.min === undefined ? 0 : bounds.min - pages,
  })
  let delta = await sample()
  let { over, under } = outside(delta.pages)
  // The kernel frees lazily (per-CPU page lists, RCU): re-sample until the assertion as written
  // holds (`.not` included, so `.not.toFreeAll()` returns as soon as pages are seen held) or the
  // time is up.
  while ((over <= 0 && under <= 0) === isNot && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS))
    delta = await sample()
    ;({ over, under } = outside(delta.pages))
  }
  const pass = over <= 0 && under <= 0
  const verdict = over > 0 ? `${words(over)} over` : under > 0 ? `${words(under)} short` : undefined
  return {
    result: {
      pass,
      message: () => formatMessage({ call, expected: bounds.expected, delta, selector, verdict }),
    },
    record: budgetRecord({
      call,
      site: assertion.site,
      selector: delta.selector,
      expected: bounds.expected,
      pages: delta.pages,
      pageSize,
      pass,
      bounds,
      rows: delta.rows,
      keep: selector.names,
    }),
  }
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

function toleranceNote(pages: number, words: Scale['words']): string {
  return pages === 0 ? '' : ` with ${words(pages)} tolerance`
}

export const budgetMatchers: Judges<'toAllocateAtMost' | 'toAllocateAtLeast' | 'toAllocateBetween' | 'toFreeAll'> = {
  async toAllocateAtMost(received, budget, options) {
    return judge(this, received, options, ({ amount, slack, words }) => {
      const limit = amount(budget)
      const extra = slack(limit)
      return { max: limit.pages + extra, expected: `at most ${words(limit.pages)}${toleranceNote(extra, words)}` }
    })
  },
  async toAllocateAtLeast(received, budget, options) {
    return judge(this, received, options, ({ amount, slack, words }) => {
      const limit = amount(budget)
      const extra = slack(limit)
      return { min: limit.pages - extra, expected: `at least ${words(limit.pages)}${toleranceNote(extra, words)}` }
    })
  },
  async toAllocateBetween(received, low, high, options) {
    return judge(this, received, options, ({ amount, slack, words }) => {
      const min = amount(low)
      const max = amount(high)
      if (min.pages > max.pages) throw new UsageError(`toAllocateBetween(${this.call.args}): the lower bound is above the upper one`)
      const below = slack(min)
      const above = slack(max)
      return {
        min: min.pages - below,
        max: max.pages + above,
        expected: `between ${words(min.pages)} and ${words(max.pages)}${toleranceNote(Math.max(below, above), words)}`,
      }
    })
  },
  async toFreeAll(received, options) {
    const settle = options?.settle ?? DEFAULT_SETTLE_MS
    if (typeof settle !== 'number' || !(settle >= 0)) throw new UsageError(`toFreeAll: settle must be milliseconds >= 0, got ${show(settle)}`)
    const measurement = asMeasurement(received, 'toFreeAll')
    const drain = options?.drain ?? measurement.session.target.disposable === true
    return judge(this, received, options, ({ slack, words }) => {
      const extra = slack({ pages: 0, bytes: 0 })
      return { max: extra, expected: `no pages still held${toleranceNote(extra, words)}`, settle, ...(drain && { prepare: () => measurement.drain() }) }
    })
  },
}

