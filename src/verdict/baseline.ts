import { UsageError } from '../errors.js'
import { reportPath } from '../io/paths.js'
import { formatAmount, toleranceAllowance, type Tolerance } from '../amount.js'
import type { DeltaOptions, Measurement } from '../session/measurement.js'
import { baselinePath, readBaselines, storeBaseline } from './baseline-file.js'
import { baselineEntry, growthLines } from './baseline-growth.js'
import { formatMessage } from './message.js'
import { asMeasurement, type Judgement, type Judges } from './receiver.js'
import { budgetRecord, type Judged } from './record.js'
import { testOf } from './section.js'

export interface BaselineOptions extends DeltaOptions {
  /** Growth allowed over the stored value (`'5%'` of it, or an amount); default from the config's `baseline.tolerance`, then `tolerance`. */
  tolerance?: Tolerance
  /** The entry's key in the baseline file; default: the selector (and `since`). Name entries that share a selector. */
  name?: string
}

const UPDATE_HINT = 'record it with the update flag (vitest -u, playwright test --update-snapshots) and commit the __page_budget__ file'

function boundTest(measurement: Measurement) {
  const test = testOf(measurement)
  if (!test) {
    throw new UsageError('toStayWithinBaseline needs to know which test is running, to find its baseline', {
      hint: 'use the pageOwner fixture of page-budget/vitest or page-budget/playwright',
    })
  }
  return test
}

export const baselineMatchers: Judges<'toStayWithinBaseline'> = {
  /**
   * The selected stacks gained no more than the stored baseline (plus tolerance). A missing
   * entry is recorded (unless the framework writes nothing, as in CI), and every entry is
   * re-recorded with the update flag; `.not` only ever compares.
   */
  async toStayWithinBaseline(received, options): Promise<Judgement> {
    const measurement = asMeasurement(received, 'toStayWithinBaseline')
    const test = boundTest(measurement)
    const session = measurement.session
    const { call, site } = this
    const isNot = call.negated
    const tolerance = options?.tolerance ?? session.options.baseline?.tolerance ?? session.options.tolerance
    toleranceAllowance(tolerance, { pages: 0, bytes: 0 }, session.pageSize)
    const selector = session.selector(options)
    const key = options?.name ?? `${selector.description}${options?.since ? ` since ${options.since}` : ''}`
    const path = baselinePath(test.file)
    const testName = test.title.join(' > ')
    const stored = (await readBaselines(path)).tests[testName]?.[key]
    const shown = reportPath(path)
    if (!stored && (isNot || test.updateBaselines === 'none')) {
      throw new UsageError(`no baseline '${key}' for '${testName}' in ${shown}`, { hint: UPDATE_HINT })
    }
    const delta = await measurement.delta(options, 'expect')
    const words = (pages: number) => formatAmount(pages, delta.pageSize)
    const judged = (expected: string, pass: boolean, bounds: Judged['bounds'], baseline: Judged['baseline']): Judged => ({
      call, site, selector: delta.selector, expected, pages: delta.pages, pageSize: delta.pageSize, pass, bounds, rows: delta.rows, keep: selector.names, baseline,
    })

    if (!stored || (test.updateBaselines === 'all' && !isNot)) {
      await storeBaseline(path, testName, key, baselineEntry(delta, session.capabilities.kernel))
      const expected = `the baseline, ${stored ? 'updated' : 'recorded'} now`
      return {
        result: { pass: true, actual: words(delta.pages), expected, message: () => formatMessage({ call, expected, delta, selector }) },
        record: budgetRecord(judged(expected, true, {}, { pages: stored?.pages ?? null, status: stored ? 'updated' : 'written' })),
      }
    }

    const slack = toleranceAllowance(tolerance, { pages: stored.pages, bytes: stored.pages * delta.pageSize }, delta.pageSize).pages
    const max = stored.pages + slack
    const pass = delta.pages <= max
    const expected = `at most ${words(stored.pages)} (the baseline)${slack ? ` with ${words(slack)} tolerance` : ''}`
    const change = stored.pages ? ` (${delta.pages >= stored.pages ? '+' : ''}${(((delta.pages - stored.pages) / Math.abs(stored.pages)) * 100).toFixed(1)}%)` : ''
    const details = [`Baseline: ${words(stored.pages)} recorded on ${stored.kernel} (${shown})`, `Now:      ${words(delta.pages)}${change}`]
    return {
      record: budgetRecord(judged(expected, pass, { max }, { pages: stored.pages, status: 'compared' })),
      result: {
        pass,
        actual: words(delta.pages),
        expected,
        message: () =>
          formatMessage({
            call,
            expected,
            delta,
            selector,
            ...(!pass && { verdict: `${words(delta.pages - max)} over` }),
            details: pass ? details : [...details, '', ...growthLines(delta, stored, selector)],
          }),
      },
    }
  },
}
