import { existsSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { z } from 'zod'
import { ReportFileError } from '../errors.js'
import { writeFileAtomic } from '../io/atomic.js'
import { acquireLock } from '../io/lock.js'
import { readJson } from '../io/json.js'

/**
 * A test file's stored baselines, committed next to it like snapshots:
 * `__page_budget__/<test file name>.json`, test name -> key (the selector) -> entry.
 */
export const BaselineEntry = z.object({
  pages: z.number().describe('pages the selected stacks gained when the baseline was recorded'),
  pageSize: z.number().int(),
  kernel: z.string().describe('kernel release it was recorded on'),
  stacks: z
    .array(z.object({ frames: z.array(z.string()).describe('function names, innermost first'), pages: z.number() }))
    .describe('the stacks that changed most, matched by their frames (handles change across boots)'),
  sites: z
    .array(z.object({ site: z.string(), bytes: z.number() }))
    .optional()
    .describe('for a `sites` baseline (its pages are bytes over the page size): the call sites that changed most, by tag'),
})
export type BaselineEntry = z.infer<typeof BaselineEntry>

export const BaselineFile = z.object({
  schema: z.literal('page-budget-baseline'),
  version: z.literal(1),
  tests: z.record(z.string(), z.record(z.string(), BaselineEntry)),
})
export type BaselineFile = z.infer<typeof BaselineFile>

/** Where the baselines of a test file live. */
export function baselinePath(testFile: string): string {
  return join(dirname(testFile), '__page_budget__', `${basename(testFile)}.json`)
}

export async function readBaselines(path: string): Promise<BaselineFile> {
  if (!existsSync(path)) return { schema: 'page-budget-baseline', version: 1, tests: {} }
  const parsed = BaselineFile.safeParse(await readJson(path, 'baseline file'))
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new ReportFileError(path, `not a page-budget baseline file: ${issue.path.join('.') || '(top)'}: ${issue.message}`, {
      hint: 'delete it and record the baselines again with the update flag (vitest -u, playwright test --update-snapshots)',
    })
  }
  return parsed.data
}

/**
 * Stores one entry. Workers may record baselines of one file at once (Playwright's
 * fullyParallel), so the read-modify-write holds a lock; keys are sorted so the diff of a
 * re-recorded file shows only what changed.
 */
export async function storeBaseline(path: string, test: string, key: string, entry: BaselineEntry): Promise<void> {
  const lock = await acquireLock(`${path}.lock`, { timeout: 60_000, what: 'baseline file' })
  try {
    const file = await readBaselines(path)
    file.tests[test] = sortKeys({ ...file.tests[test], [key]: entry })
    file.tests = sortKeys(file.tests)
    await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`)
  } finally {
    await lock.release()
  }
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)))
}
