import { expect } from 'vitest'
import type { KernelTag } from '../kernel-build/tag.js'
import type { PageBudgetConfig } from '../session/config.js'
import type { BudgetRecord } from '../verdict/record.js'
import { matchers, type PageBudgetMatchers } from '../verdict/matchers.js'

declare module 'vitest' {
  // Declaration merging: the signatures live once, in PageBudgetMatchers. T is unused, as in
  // Vitest's own declaration, and must be spelled the same for the merge.
  interface Matchers<T = any> extends PageBudgetMatchers<Promise<void>> {}
  interface ProvidedContext {
    pageBudgetConfig: PageBudgetConfig
  }
  interface TaskMeta {
    pageBudget?: BudgetRecord[]
    /** The kernel the records were measured on. */
    pageBudgetKernel?: KernelTag
  }
}

expect.extend(matchers)
