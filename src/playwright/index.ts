import { fileURLToPath } from 'node:url'

export { test, type PageBudgetTestFixtures, type PageBudgetWorkerFixtures } from './fixtures.js'
export { expect } from './expect.js'
export type { PageBudgetConfig } from '../session/config.js'
export type { BaselineOptions, BudgetOptions, PageBudgetMatchers } from '../verdict/matchers.js'
export type { Budget, Tolerance } from '../amount.js'
export type { BudgetRecord } from '../verdict/record.js'

/** A module beside this one, in whichever form (.ts source or .js build) is running. */
const beside = (name: string) => fileURLToPath(new URL(`./${name}${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url))

/**
 * `globalSetup: pageBudgetGlobalSetup` in playwright.config: boots a qemu target's VM once per
 * run for every worker (without it, each worker boots its own).
 */
export const pageBudgetGlobalSetup = beside('global-setup')

/** `reporter: [['list'], [pageBudgetReporter, { outputFile }]]`: the run's table and page-budget-report.json. */
export const pageBudgetReporter = beside('reporter')
