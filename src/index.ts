// page-budget: the framework-free core, as a library. The test-framework entries are
// page-budget/vitest and page-budget/playwright; page-budget/matchers hands the matchers to any
// other framework's expect. What is exported here is the API a user writes against, and
// test/api.test.ts pins the list: internals (state machines, caches, the sampling path) stay out.

// Errors: every class, with its code (README, Errors).
export * from './errors.js'

// Sessions on a target, and a measured section per test.
export type { PageBudgetConfig } from './session/config.js'
export type { SessionOptions } from './session/options.js'
export { Session } from './session/session.js'
export { openSession } from './session/open.js'
export { Measurement, type DeltaOptions } from './session/measurement.js'
export type { ReclaimOptions, ReclaimResult } from './session/reclaim.js'
export type { RepeatOptions } from './session/repeat.js'

// What a measurement returns.
export type { Delta, DeltaStack } from './select/delta.js'
export type { SiteDelta } from './select/site-delta.js'
export { parseAllocInfo, type AllocInfo, type Site, type SiteChange, type SiteCount } from './format/allocinfo.js'
export type { Snapshot } from './snapshot/snapshot.js'
export type { OwnerEntry, OwnersSample } from './snapshot/owners.js'
export type { Include } from './snapshot/include.js'
export type { StackSelector } from './select/selector.js'
export type { Owner, ProcessOwner } from './select/owners.js'
export { trimFrames } from './select/trim.js'

// Amounts as tests write them, and as messages print them.
export { parseBudget, formatAmount, formatBytes, type Amount, type Budget, type Tolerance } from './amount.js'

// Where the kernel is.
export type { TargetOptions } from './target/options.js'
export { createTarget } from './target/create.js'
export { LocalTarget, type LocalTargetOptions } from './target/local.js'
export { CommandTarget, type CommandTargetOptions } from './target/command.js'
export { ReplayTarget, type ReplayTargetOptions } from './target/replay.js'
export type { QemuOptions } from './target/qemu/vm.js'
export { probe, type Capabilities } from './target/probe.js'
export type { ExecOptions, ExecResult, KernelFile, Target } from './target/types.js'

// The page_owner files, parsed: streaming readers for scripts of one's own.
export { detectFormat, type FormatName, type SamplePath } from './format/detect.js'
export { openFile } from './format/file.js'
export { readPageOwner, pageOwnerRecords } from './format/page-owner.js'
export { readSwapPageOwner, swapPageOwnerRecords } from './format/swap-page-owner.js'
export { parseShowHandles } from './format/show-handles.js'
export { parseShowStacks, parseShowStacksHandles } from './format/stacks.js'
export { parseCountThreshold } from './format/count-threshold.js'
export type { ByteSource, Frame, HandleCounts, PageOwnerRecord, StackCount, SwapPageOwnerRecord } from './format/types.js'
