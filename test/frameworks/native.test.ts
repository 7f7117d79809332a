import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { plain, tempDir } from '../helpers.js'
import { runPlaywright } from '../playwright/run.js'

/**
 * The same workload (three budgets kept, one broken) through each framework's own CLI and
 * reporters: the failure as the framework prints it, once, with no second Expected/Received;
 * each budget as a Vitest annotation and as a Playwright step.
 */
const DIR = 'test/frameworks/native'

/** Absolute paths as `<root>`, for snapshots. */
const rooted = (text: string) => text.replaceAll(process.cwd(), '<root>')

/**
 * The failure message page-budget made (test/verdict/matchers.test.ts snapshots it whole) as
 * `<message>`, so that what remains is what the framework printed around it. Throws unless it
 * appears exactly once.
 */
function aroundMessage(text: string): string {
  const message = /expect\(pageOwner\)\.toAllocateAtMost\('200 MiB'\)\n[\s\S]*?stacks resolved lazily\)/g
  const found = text.match(message) ?? []
  if (found.length !== 1) throw new Error(`expected the failure message once, found it ${found.length} times in:\n${text}`)
  return text.replace(message, '<message>')
}

/** The lines of `output` from the one that matches `from` up to (not including) the first after it that matches `to`. */
function block(output: string, from: RegExp, to: RegExp): string {
  const lines = plain(output).split('\n')
  const start = lines.findIndex((line) => from.test(line))
  const end = lines.findIndex((line, i) => i > start && to.test(line))
  if (start < 0 || end < 0) throw new Error(`no block ${from} .. ${to} in:\n${output}`)
  return lines.slice(start, end).join('\n').trimEnd()
}

describe('under Vitest', () => {
  it('prints the failure once, and each budget as an annotation (GitHub Actions: ::error / ::notice at its line)', { timeout: 120_000 }, async () => {
    const dir = tempDir()
    const run = await execa('npx', ['vitest', 'run', '--config', `${DIR}/vitest.config.ts`, '--reporter=default', '--reporter=github-actions'], {
      reject: false,
      all: true,
      env: { GITHUB_ACTIONS: 'true', PAGE_BUDGET_TEST_CACHE: join(dir, 'cache'), NO_COLOR: '1', FORCE_COLOR: '0' },
    })
    expect(run.exitCode, run.all).toBe(1)
    expect(aroundMessage(block(run.all, /^ FAIL /, /⎯\[1\/1\]⎯/))).toMatchInlineSnapshot(`
      " FAIL  test/report/workload/budgets.workload.ts > dd to tmpfs > breaks a budget too small
      Error: <message>
       ❯ test/report/workload/budgets.workload.ts:25:5
           23|   test('breaks a budget too small', async ({ pageOwner }) => {
           24|     await ddToTmpfs(pageOwner)
           25|     await expect(pageOwner).toAllocateAtMost('200 MiB', { ...shmem, si…
             |     ^
           26|   })
           27| })

       ❯ test/report/workload/budgets.workload.ts:25:5 error
         ↳ page-budget: expect(pageOwner).toAllocateAtMost('200 MiB') on shmem_* & vfs_write: 65536 pages (256 MiB), expected at most 51200 pages (200 MiB)"
    `)
    const annotations = plain(run.all).split('\n').filter((line) => /^::(notice|error) file=/.test(line) && !line.includes(',title='))
    expect(rooted(annotations.join('\n'))).toMatchInlineSnapshot(`
      "::notice file=<root>/test/report/workload/budgets.workload.ts,line=18,column=5::page-budget: expect(pageOwner).toAllocateAtMost('258 MiB') on shmem_* & vfs_write: 65536 pages (256 MiB), expected at most 66048 pages (258 MiB)
      ::notice file=<root>/test/report/workload/budgets.workload.ts,line=19,column=5::page-budget: expect(pageOwner).toAllocateBetween('255 MiB', '257 MiB') on shmem_* & vfs_write: 65536 pages (256 MiB), expected between 65280 pages (255 MiB) and 65792 pages (257 MiB)
      ::notice file=<root>/test/report/workload/budgets.workload.ts,line=20,column=5::page-budget: expect(pageOwner).not.toAllocateAtLeast('1 GiB') on all stacks: 65694 pages (256.62 MiB), expected not at least 262144 pages (1 GiB)
      ::error file=<root>/test/report/workload/budgets.workload.ts,line=25,column=5::page-budget: expect(pageOwner).toAllocateAtMost('200 MiB') on shmem_* & vfs_write: 65536 pages (256 MiB), expected at most 51200 pages (200 MiB)"
    `)
  })
})

describe('under Playwright', () => {
  it('prints the failure once, and shows each budget as a boxed step at its line', { timeout: 120_000 }, async () => {
    const steps = join(tempDir(), 'steps.json')
    const run = await runPlaywright(`${DIR}/playwright.config.ts`, { PAGE_BUDGET_FRAMEWORK: 'playwright', PAGE_BUDGET_STEPS: steps })
    expect(run.exitCode, run.output).toBe(1)
    expect(aroundMessage(rooted(block(run.output, /^ {2}1\) /, /attachment #\d+: page-budget\.txt/)))).toMatchInlineSnapshot(`
      "  1) test/report/workload/budgets.workload.ts:23:3 › dd to tmpfs › breaks a budget too small ───────

          Error: <message>

            23 |   test('breaks a budget too small', async ({ pageOwner }) => {
            24 |     await ddToTmpfs(pageOwner)
          > 25 |     await expect(pageOwner).toAllocateAtMost('200 MiB', { ...shmem, since: 'begin' })
               |                             ^
            26 |   })
            27 | })
            28 |
              at <root>/test/report/workload/budgets.workload.ts:25:29"
    `)
    interface Step { category: string; title: string; line?: number; column?: number; error?: string; steps: Step[] }
    type Shown = [title: string, at: string | undefined, error: string | undefined]
    // Each user step (test.step) anywhere in the tree, at line:column: page-budget's sit inside Playwright's expect steps.
    const budgetSteps = (tree: Step[]): Shown[] =>
      tree.flatMap((step): Shown[] => [...(step.category === 'test.step' ? [[step.title, step.line && `${step.line}:${step.column}`, step.error] as Shown] : []), ...budgetSteps(step.steps)])
    const tests = JSON.parse(readFileSync(steps, 'utf8')) as Record<string, Step[]>
    expect(Object.fromEntries(Object.entries(tests).map(([title, tree]) => [title, budgetSteps(tree)]))).toMatchInlineSnapshot(`
      {
        "asserts nothing": [],
        "breaks a budget too small": [
          [
            "expect(pageOwner).toAllocateAtMost('200 MiB')",
            "25:29",
            "Error: shmem_* & vfs_write: expected at most 51200 pages (200 MiB), measured 65536 pages",
          ],
        ],
        "stays in budget": [
          [
            "expect(pageOwner).toAllocateAtMost('258 MiB')",
            "18:29",
            undefined,
          ],
          [
            "expect(pageOwner).toAllocateBetween('255 MiB', '257 MiB')",
            "19:29",
            undefined,
          ],
          [
            "expect(pageOwner).not.toAllocateAtLeast('1 GiB')",
            "20:33",
            undefined,
          ],
        ],
      }
    `)
  })
})
