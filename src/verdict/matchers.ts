import { baselineMatchers, type BaselineOptions } from './baseline.js'
import type { Budget } from '../amount.js'
import { budgetMatchers, type BudgetOptions, type FreeOptions } from './budget-matchers.js'
import { ownershipMatchers, type OwnershipOptions } from './ownership.js'
import { isMeasurement, show, type Implementations, type MatcherResult, type MatcherState } from './receiver.js'
import { callSite } from './record.js'
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

/** Every matcher, framework-free: hand this to a framework's expect.extend(). */
export const matchers: Implementations = awaitedOnly({
  ...budgetMatchers,
  ...ownershipMatchers,
  ...baselineMatchers,
})

/**
 * Registers each call with the measured section it judges, so that one the test forgot to
 * await fails that test when its section ends (UnawaitedAssertionError, with the line), instead
 * of passing it and rejecting later, blamed on whichever test runs then. Once the section is
 * closing nobody awaits the result: it resolves as the framework's pass, and the section's
 * error speaks for it.
 */
function awaitedOnly(implementations: Implementations): Implementations {
  const wrap = <M extends keyof Implementations>(name: M, implementation: Implementations[M]) =>
    function (this: MatcherState, received: unknown, ...args: unknown[]): Promise<MatcherResult> {
      // Before any await: the test's own frame is still on the stack.
      const site = callSite()
      const isNot = this.isNot ?? false
      const run = (implementation as (this: MatcherState, ...all: unknown[]) => Promise<MatcherResult>).call({ isNot, site }, received, ...args)
      if (!isMeasurement(received)) return run
      return received.running(`${isNot ? 'not.' : ''}${name}(${args.filter((arg) => arg !== undefined).map(show).join(', ')})`, site, run).then((result) => (received.closing ? { ...result, pass: !isNot } : result))
    }
  return Object.fromEntries(Object.entries(implementations).map(([name, implementation]) => [name, wrap(name as keyof Implementations, implementation)])) as Implementations
}
