import { baselineMatchers, type BaselineOptions } from './baseline.js'
import type { Budget } from './budget.js'
import { budgetMatchers, type BudgetOptions, type FreeOptions } from './budget-matchers.js'
import { ownershipMatchers, type OwnershipOptions } from './ownership.js'
import type { Implementations } from './receiver.js'
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
export const matchers: Implementations = {
  ...budgetMatchers,
  ...ownershipMatchers,
  ...baselineMatchers,
}
