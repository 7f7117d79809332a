import type { Budget } from './budget.js'
import { budgetMatchers, type BudgetOptions } from './budget-matchers.js'
import type { Implementations } from './receiver.js'

export type { BudgetOptions } from './budget-matchers.js'
export type { MatcherResult, MatcherState } from './receiver.js'

/** The matcher signatures, declared once: frameworks merge them into their Matchers types. */
export interface PageBudgetMatchers<R = unknown> {
  /** The selected stacks gained at most `budget` (plus tolerance) since the start or `since`. */
  toAllocateAtMost(budget: Budget, options?: BudgetOptions): R
  /** The selected stacks gained at least `budget` (minus tolerance). */
  toAllocateAtLeast(budget: Budget, options?: BudgetOptions): R
  /** The selected stacks gained between `min` and `max` (tolerance widens both ends). */
  toAllocateBetween(min: Budget, max: Budget, options?: BudgetOptions): R
  /** The selected stacks are back to their starting level (within tolerance): everything allocated was freed. */
  toFreeAll(options?: BudgetOptions): R
}

/** Every matcher, framework-free: hand this to a framework's expect.extend(). */
export const matchers: Implementations = {
  ...budgetMatchers,
}
