import { describe, expect, it } from 'vitest'

/**
 * The public API, pinned: a name added or dropped here is a decision, written down in this
 * list (and the README), not a side effect of a refactor.
 */
describe('the exports of each entry', () => {
  it('page-budget: errors, sessions, amounts, targets and the streaming readers', async () => {
    expect(Object.keys(await import('../src/index.js')).sort()).toEqual([
      'AllocInfoUnavailableError',
      'BinaryFileError',
      'CommandTarget',
      'CountThresholdError',
      'ExecError',
      'FileFormatError',
      'FileMissingError',
      'FileReadError',
      'FileTypeError',
      'GuestKernelError',
      'KernelBuildError',
      'LocalTarget',
      'LockTimeoutError',
      'Measurement',
      'MissingToolError',
      'OomKilledError',
      'PageBudgetError',
      'PageOwnerDisabledError',
      'ParseError',
      'PermissionError',
      'ReclaimError',
      'ReplayTarget',
      'ReportFileError',
      'Session',
      'TargetError',
      'UnawaitedAssertionError',
      'UnknownStackError',
      'UnsafeDirectoryError',
      'UnsupportedKernelError',
      'UsageError',
      'VmError',
      'createTarget',
      'detectFormat',
      'formatAmount',
      'formatBytes',
      'isPageBudgetError',
      'openFile',
      'openSession',
      'pageOwnerRecords',
      'parseAllocInfo',
      'parseBudget',
      'parseCountThreshold',
      'parseShowHandles',
      'parseShowStacks',
      'parseShowStacksHandles',
      'probe',
      'readPageOwner',
      'readSwapPageOwner',
      'swapPageOwnerRecords',
      'trimFrames',
    ])
  })

  it('page-budget/matchers: the matchers and what a fixture of its own needs', async () => {
    expect(Object.keys(await import('../src/matchers.js')).sort()).toEqual(['bindTest', 'endSection', 'matchers', 'recordsOf'])
  })

  it('page-budget/vitest and page-budget/playwright: test, expect and their config helpers', async () => {
    expect(Object.keys(await import('../src/vitest/index.js')).sort()).toEqual(['expect', 'pageBudget', 'test'])
    expect(Object.keys(await import('../src/playwright/index.js')).sort()).toEqual(['expect', 'pageBudgetGlobalSetup', 'pageBudgetReporter', 'test'])
  })
})
