import { z } from 'zod'
import { KernelTag } from '../kernel-build/tag.js'

/**
 * `page-budget-report.json`, version 1: every budget assertion of a run, per test. Both
 * reporters (Vitest, Playwright) write it, `page-budget merge` joins per-shard copies and
 * `page-budget check` gates on it. It holds no times, durations or framework names, so the
 * same workload gives the same file whichever framework ran it.
 *
 * Changes that drop or retype a field raise `version`; readers refuse versions they do not know.
 */
export const REPORT_VERSION = 1

export const ReportAmount = z.object({
  pages: z.number().describe('base pages (an order-2 allocation counts 4); fractional for byte budgets and call sites (bytes over the page size)'),
  bytes: z.number().describe('pages times the page size of the kernel measured'),
})
export type ReportAmount = z.infer<typeof ReportAmount>

export const ReportStack = z.object({
  handle: z.number().int().describe('stack depot handle on the measured boot (changes across boots)'),
  pages: z.number().describe('pages gained by this stack (negative: freed)'),
  frames: z.array(z.string()).describe('frames trimmed for display, `…` where frames were cut'),
  functions: z
    .array(z.string())
    .optional()
    .describe('the whole stack as function names, innermost first, compiler suffixes kept: what `page-budget compare` pairs stacks across kernels by'),
})
export type ReportStack = z.infer<typeof ReportStack>

export const ReportSite = z.object({
  site: z.string().describe('a call site from /proc/allocinfo, as its tag reads: `fs/dcache.c:1690 func:__d_alloc`'),
  bytes: z.number().int().describe('bytes gained at this site (negative: freed)'),
  calls: z.number().int().describe('calls (allocations still held) gained at this site'),
})
export type ReportSite = z.infer<typeof ReportSite>

export const ReportRecord = z.object({
  call: z.string().describe("the assertion as written: `toAllocateAtMost('258 MiB')`, `.not.` prefixed when negated"),
  negated: z.boolean().describe('whether the assertion was written with `.not`'),
  selector: z.string().describe('the selected stacks in words: `shmem_* & vfs_write`, `all stacks`'),
  expected: z.string().describe('the expectation in words, as the positive matcher states it'),
  budget: z
    .object({ min: ReportAmount.optional(), max: ReportAmount.optional() })
    .describe('the range the positive matcher accepts, tolerance applied; an absent end is open'),
  measured: ReportAmount.describe('what the selected stacks gained'),
  headroom: ReportAmount.nullable().describe('distance from the measured value to the nearest end of the budget (negative: breached); null when negated'),
  held: z.boolean().describe('whether the assertion held (`.not` taken into account)'),
  location: z.object({ file: z.string(), line: z.number().int(), column: z.number().int().optional() }).nullable().describe('the assertion in the source, file relative to the working directory'),
  top: z.array(ReportStack).describe('the selected stacks that changed most, largest first (empty for a `sites` budget)'),
  sites: z.array(ReportSite).optional().describe('for a `sites` budget: the selected call sites that changed most, largest first'),
  calls: z
    .object({ measured: z.number().int(), min: z.number().int().optional(), max: z.number().int().optional() })
    .optional()
    .describe('for a `sites` budget: the calls (allocations still held) gained, and the limits the assertion set on them'),
  baseline: z
    .object({ pages: z.number().nullable(), status: z.enum(['compared', 'written', 'updated']) })
    .nullable()
    .describe('for toStayWithinBaseline: the stored pages (null: none before) and what happened to the baseline file'),
})
export type ReportRecord = z.infer<typeof ReportRecord>

export const ReportTest = z.object({
  file: z.string().describe('test file, relative to the working directory, with / separators'),
  title: z.array(z.string()).describe('describe blocks, then the test name'),
  project: z.string().describe("the framework's project name, '' for none"),
  status: z.enum(['passed', 'failed', 'skipped']),
  records: z.array(ReportRecord).describe('budget assertions, in the order they ran'),
  kernel: KernelTag.optional().describe('the kernel the test measured (absent in reports of older page-budget versions)'),
})
export type ReportTest = z.infer<typeof ReportTest>

export const Report = z.object({
  schema: z.literal('page-budget-report'),
  version: z.literal(REPORT_VERSION),
  complete: z.boolean().describe('false while the run is going (or when it died part-way): the tests listed are those that finished'),
  tests: z.array(ReportTest).describe('tests with at least one budget assertion, sorted by file, project and title'),
})
export type Report = z.infer<typeof Report>

/** The name both reporters write by default, in the working directory. */
export const REPORT_FILE = 'page-budget-report.json'
