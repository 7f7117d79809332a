// page-budget/matchers: the budget matchers with no test framework attached. Pass `matchers`
// to any expect.extend(); a fixture of one's own binds the test (for baselines), ends the
// section with endSection (which fails assertions the test did not await) and reads the records.
export { matchers, type BaselineOptions, type BudgetOptions, type FreeOptions, type MatcherResult, type MatcherState, type OwnershipOptions, type PageBudgetMatchers } from './verdict/matchers.js'
export { bindTest, endSection, recordsOf, type TestIdentity } from './verdict/section.js'
export type { BudgetRecord, RecordStack, SourceLocation } from './verdict/record.js'
