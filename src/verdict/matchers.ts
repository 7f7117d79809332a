import { baselineMatchers, type BaselineOptions } from './baseline.js'
import type { Budget } from '../amount.js'
import { budgetMatchers, type BudgetOptions, type FreeOptions } from './budget-matchers.js'
import { ownershipMatchers, type OwnershipOptions } from './ownership.js'
import { isMeasurement, show, type Assertion, type Implementations, type Judgement, type Judges, type MatcherResult, type MatcherState } from './receiver.js'
import { callSite, type MatcherName } from './record.js'
import { addRecord, heard, isClosing, track } from './section.js'
import type { Owner } from '../select/owners.js'

export type { BudgetOptions, FreeOptions } from './budget-matchers.js'
export type { BaselineOptions } from './baseline.js'
export type { MatcherResult, MatcherState } from './receiver.js'
export type { OwnershipOptions } from './ownership.js'
export type { Owner, ProcessOwner } from '../select/owners.js'

/** The matcher signatures, declared once: frameworks merge them into their Matchers types. */
export interface PageBudgetMatchers<R = unknown> {
  /** The selected stacks gained at most `budget` (plus tolerance) since the start or `since`. */
  toAllocateAtMost(budget: Budget, options?: BudgetOptions): R
  /** The selected stacks gained at least `budget` (minus tolerance). */
  toAllocateAtLeast(budget: Budget, options?: BudgetOptions): R
  /** The selected stacks gained between `min` and `max` (tolerance widens both ends). */
  toAllocateBetween(min: Budget, max: Budget, options?: BudgetOptions): R
  /** The selected stacks are back to their starting level (within tolerance): everything allocated was freed. */
  toFreeAll(options?: FreeOptions): R
  /**
   * The pages `owner` held at the mark `since` (resident and in swap) are still attributed to it
   * now, within tolerance. A process owner needs `mark(since, { owners: true })`.
   */
  toRemainOwnedBy(owner: Owner, options: OwnershipOptions): R
  /** The selected stacks gained no more than this test's stored baseline (plus tolerance); records it when missing or with the update flag. */
  toStayWithinBaseline(options?: BaselineOptions): R
}

/** How each matcher's arguments appear on its call line, in messages and reports: the budget, not the selector (reports show that apart). */
const ARGS: { [M in MatcherName]: (...args: Parameters<PageBudgetMatchers[M]>) => string } = {
  toAllocateAtMost: (budget) => show(budget),
  toAllocateAtLeast: (budget) => show(budget),
  toAllocateBetween: (low, high) => `${show(low)}, ${show(high)}`,
  toFreeAll: (options) => (options?.since ? `{ since: '${options.since}' }` : ''),
  toRemainOwnedBy: (owner, options) => `${show(owner)}, ${show(options)}`,
  toStayWithinBaseline: (options) => (options?.name ? `'${options.name}'` : ''),
}

/** Every matcher, framework-free: hand this to a framework's expect.extend(). */
export const matchers: Implementations = awaitedOnly({
  ...budgetMatchers,
  ...ownershipMatchers,
  ...baselineMatchers,
})

/**
 * The wrapper every matcher runs in. It takes the call and its source line once, lets the
 * implementation judge, and files the record with the measured section; the section's listeners
 * (a fixture's hook into its framework's reporters) hear of the call as it starts and hold its
 * result until they are done. It also registers each call with that section, so that one the
 * test forgot to await fails that test when its section ends (UnawaitedAssertionError, with the
 * line), instead of passing it and rejecting later, blamed on whichever test runs then. Once the section is closing nobody awaits the result: it
 * resolves as the framework's pass, and the section's error speaks for it.
 */
function awaitedOnly(judges: Judges): Implementations {
  const wrap = <M extends MatcherName>(matcher: M, judge: Judges[M]) =>
    function (this: MatcherState, received: unknown, ...args: Parameters<PageBudgetMatchers[M]>): Promise<MatcherResult> {
      const negated = this.isNot ?? false
      // Before any await: the test's own frame is still on the stack.
      const assertion: Assertion = { call: { matcher, args: (ARGS[matcher] as (...all: unknown[]) => string)(...args), negated }, site: callSite() }
      const judging = (judge as (this: Assertion, ...all: unknown[]) => Promise<Judgement>).call(assertion, received, ...args)
      if (!isMeasurement(received)) return judging.then(({ result }) => result)
      const filed = judging.then((judgement) => {
        addRecord(received, judgement.record)
        return judgement
      })
      const run = Promise.all([filed, heard(received, assertion.call, assertion.site, filed)]).then(([{ result }]) => result)
      return track(received, assertion.call, assertion.site, run).then((result) => (isClosing(received) ? { ...result, pass: !negated } : result))
    }
  return Object.fromEntries(Object.entries(judges).map(([name, judge]) => [name, wrap(name as MatcherName, judge as Judges[MatcherName])])) as unknown as Implementations
}
