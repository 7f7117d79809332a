import { expect } from 'vitest'
import type { PageBudgetConfig } from '../session/config.js'
import type { BudgetRecord } from '../verdict/record.js'
import { matchers, type PageBudgetMatchers } from '../verdict/matchers.js'

declare module 'vitest' {
  // Declaration merging: the signatures live once, in PageBudgetMatchers.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
  interface Matchers<T = any> extends PageBudgetMatchers<Promise<void>> {}
  interface ProvidedContext {
    pageBudgetConfig: PageBudgetConfig
  }
  interface TaskMeta {
    pageBudget?: BudgetRecord[]
  }
}

expect.extend(matchers)
