import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { runPlaywright } from './run.js'

const HERE = fileURLToPath(new URL('./update-modes/', import.meta.url))
/** Run directories live inside the package (its gitignored tmp/), where `page-budget/playwright` resolves to the build. */
const RUNS = fileURLToPath(new URL('../../tmp/', import.meta.url))

/** The baselines each run starts with: `grew` was recorded on a smaller workload, `held` on this one, `new` never. */
const SEEDED = { grew: 32768, held: 65536 }

type Stored = { pages: number; kernel: string } | undefined
interface Outcome {
  status: string
  message: string
  stored: Stored
  /** Whether the test ran on past its baseline assertion. */
  carriedOn: boolean
}

function seed(dir: string): void {
  const entry = (pages: number) => ({ pages, pageSize: 4096, kernel: 'seeded', stacks: [] })
  const tests = Object.fromEntries(Object.entries(SEEDED).map(([title, pages]) => [title, { 'shmem_* & vfs_write since begin': entry(pages) }]))
  mkdirSync(join(dir, '__page_budget__'))
  writeFileSync(join(dir, '__page_budget__', 'baselines.spec.ts.json'), JSON.stringify({ schema: 'page-budget-baseline', version: 1, tests }))
}

/** `playwright test` on a fresh copy of the spec and its seeded baselines, with `args`: each test's outcome and what its baseline holds after. */
async function run(args: string[]): Promise<Record<string, Outcome>> {
  mkdirSync(RUNS, { recursive: true })
  const dir = mkdtempSync(join(RUNS, 'update-modes-'))
  copyFileSync(join(HERE, 'baselines.spec.ts'), join(dir, 'baselines.spec.ts'))
  seed(dir)
  try {
    return await outcomes(dir, await runPlaywright(join(HERE, 'playwright.config.ts'), { PAGE_BUDGET_SPEC_DIR: dir }, args))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function outcomes(dir: string, result: { json: string }): Record<string, Outcome> {
  interface Spec { title: string; tests: { results: { status: string; errors: { message?: string }[]; stdout: { text?: string }[] }[] }[] }
  const report = JSON.parse(readFileSync(result.json, 'utf8')) as { suites: { specs: Spec[] }[] }
  const file = JSON.parse(readFileSync(join(dir, '__page_budget__', 'baselines.spec.ts.json'), 'utf8')) as { tests: Record<string, Record<string, Stored>> }
  return Object.fromEntries(
    report.suites.flatMap((suite) => suite.specs).map((spec) => {
      const result = spec.tests[0]!.results[0]!
      const entry = file.tests[spec.title]?.['shmem_* & vfs_write since begin']
      const carriedOn = result.stdout.some((out) => out.text?.includes('carried on after the baseline assertion'))
      return [spec.title, { status: result.status, message: result.errors.map((e) => e.message ?? '').join('\n'), stored: entry && { pages: entry.pages, kernel: entry.kernel }, carriedOn }]
    }),
  )
}

const kept = (title: keyof typeof SEEDED): Stored => ({ pages: SEEDED[title], kernel: 'seeded' })
const recorded: Stored = { pages: 65536, kernel: '7.2.13' }

/** Playwright's snapshot modes (its toMatchSnapshot), as toStayWithinBaseline follows them: [grew, held, new], each [status, its baseline after]. */
const MODES: Array<[flag: string, args: string[], expected: Array<[string, Stored]>]> = [
  // No flag: a missing baseline is written and its test fails; the others only compare.
  ['no flag', [], [['failed', kept('grew')], ['passed', kept('held')], ['failed', recorded]]],
  ['missing', ['--update-snapshots=missing'], [['failed', kept('grew')], ['passed', kept('held')], ['passed', recorded]]],
  // Only the baseline that no longer holds is re-recorded; the one that holds is left alone.
  ['changed', ['--update-snapshots=changed'], [['passed', recorded], ['passed', kept('held')], ['passed', recorded]]],
  ['all', ['--update-snapshots=all'], [['passed', recorded], ['passed', recorded], ['passed', recorded]]],
  // Nothing written: with nothing to compare with, the new test throws.
  ['none', ['--update-snapshots=none'], [['failed', kept('grew')], ['passed', kept('held')], ['failed', undefined]]],
]

describe('toStayWithinBaseline under playwright test', () => {
  it.each(MODES)('%s: writes and fails as Playwright snapshots do', { timeout: 180_000 }, async (_, args, expected) => {
    const outcomes = await run(args)
    expect(['grew', 'held', 'new'].map((title) => [outcomes[title]?.status, outcomes[title]?.stored])).toEqual(expected)
    if (expected[0]![0] === 'failed') expect(outcomes.grew!.message).toContain('over')
    // A missing baseline fails its test without ending it, as Playwright's snapshots do (a soft error).
    if (args.length === 0) expect(outcomes.new).toMatchObject({ carriedOn: true, message: expect.stringContaining('Recorded now in') })
    // A baseline that breaks ends the test at its assertion, as any failed expect does.
    if (expected[0]![0] === 'failed') expect(outcomes.grew!.carriedOn).toBe(false)
    if (args[0] === '--update-snapshots=none') expect(outcomes.new!.message).toContain("UsageError: no baseline 'shmem_* & vfs_write since begin' for 'new'")
  })
})
