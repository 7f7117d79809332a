import { expect as base } from '@playwright/test'
import { matchers } from '../verdict/matchers.js'

/**
 * Playwright's `expect` with every page-budget matcher. The types come from the matcher
 * implementations, which are typed from the one PageBudgetMatchers declaration.
 */
export const expect = base.extend(matchers)
