// The budget matchers with no test framework attached: pass them to any expect.extend().
export { matchers, type BudgetOptions, type MatcherResult, type MatcherState, type PageBudgetMatchers } from './verdict/matchers.js'
