import { UsageError } from '../errors.js'
import { reportPath } from '../io/paths.js'
import { formatAmount, formatBytes, toleranceAllowance, type Tolerance } from '../amount.js'
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
   * The selected stacks gained no more than the stored baseline (plus tolerance). What is
   * written follows the framework's snapshot rules (TestIdentity.updateBaselines): a missing
   * entry is recorded unless the mode writes nothing; `all` re-records every entry, `changed`
   * only those that fail; `.not` only ever compares.
   */
  async toStayWithinBaseline(received, options): Promise<Judgement> {
    const measurement = asMeasurement(received, 'toStayWithinBaseline')
    const session = measurement.session
    const selector = session.selector(options)
    const test = boundTest(measurement)
    const { call, site } = this
    const isNot = call.negated
    const tolerance = options?.tolerance ?? session.options.baseline?.tolerance ?? session.options.tolerance
    toleranceAllowance(tolerance, { pages: 0, bytes: 0 }, session.pageSize)
    const key = options?.name ?? `${selector.description}${options?.since ? ` since ${options.since}` : ''}`
    const path = baselinePath(test.file)
    const testName = test.title.join(' > ')
    const stored = (await readBaselines(path)).tests[testName]?.[key]
    const shown = reportPath(path)
    if (!stored && (isNot || test.updateBaselines === 'none')) {
      throw new UsageError(`no baseline '${key}' for '${testName}' in ${shown}`, { hint: UPDATE_HINT })
    }
    const delta = await measurement.delta(options, 'expect')
    // Compared in pages: a call-site baseline keeps its bytes as pages of the page size, exactly.
    const sites = delta.source === 'sites'
    const measured = sites ? delta.bytes / delta.pageSize : delta.pages
    const words = (pages: number) => (sites ? formatBytes(pages * delta.pageSize) : formatAmount(pages, delta.pageSize))
    const judged = (expected: string, pass: boolean, bounds: { max?: number }, baseline: Judged['baseline']): Judged => ({
      call, site, selector: delta.selector, expected, pages: measured, pageSize: delta.pageSize, pass, bounds, rows: delta.rows, keep: selector.names, baseline,
      // A call-site record is in bytes.
      ...(sites && { pages: delta.bytes, unit: 'bytes', bounds: bounds.max === undefined ? {} : { max: bounds.max * delta.pageSize }, calls: { measured: delta.calls } }),
    })

    /**
     * Stores the measured value as the baseline, and says so. For `new-fails`, as a failure that
     * lets the test carry on (Playwright's SnapshotHelper.handleMissing returns pass with a
     * softError): the record says it did not hold.
     */
    const write = async (status: 'written' | 'updated', pass: boolean, expected: string, details: string[] = []): Promise<Judgement> => {
      await storeBaseline(path, testName, key, baselineEntry(delta, session.capabilities.kernel))
      const message = () => formatMessage({ call, expected, delta, selector, details })
      return {
        result: pass ? { pass, message } : { pass: true, message, softError: new Error(message()) },
        record: budgetRecord(judged(expected, pass, {}, { pages: stored?.pages ?? null, status })),
      }
    }
    const mode = test.updateBaselines
    if (!stored) {
      if (mode !== 'new-fails') return write('written', true, 'the baseline, recorded now')
      return write('written', false, `a stored baseline '${key}' (none in ${shown})`, [
        `Recorded now in ${shown}. A run that writes a missing baseline fails, so that none passes`,
        'without comparing: run again to compare, or record without failing (playwright test --update-snapshots=missing).',
      ])
    }
    if (mode === 'all' && !isNot) return write('updated', true, 'the baseline, updated now')

    const slack = toleranceAllowance(tolerance, { pages: stored.pages, bytes: stored.pages * delta.pageSize }, delta.pageSize).pages
    const max = stored.pages + slack
    const pass = measured <= max
    // Like Playwright's `changed`: only a baseline that no longer holds is re-recorded.
    if (mode === 'changed' && !isNot && !pass) return write('updated', true, 'the baseline, updated now')
    const expected = `at most ${words(stored.pages)} (the baseline)${slack ? ` with ${words(slack)} tolerance` : ''}`
    const change = stored.pages ? ` (${measured >= stored.pages ? '+' : ''}${(((measured - stored.pages) / Math.abs(stored.pages)) * 100).toFixed(1)}%)` : ''
    const details = [`Baseline: ${words(stored.pages)} recorded on ${stored.kernel} (${shown})`, `Now:      ${words(measured)}${change}`]
    return {
      record: budgetRecord(judged(expected, pass, { max }, { pages: stored.pages, status: 'compared' })),
      result: {
        pass,
        message: () =>
          formatMessage({
            call,
            expected,
            delta,
            selector,
            ...(!pass && { verdict: `${words(measured - max)} over` }),
            details: pass ? details : [...details, '', ...growthLines(delta, stored, selector)],
          }),
      },
    }
  },
}
