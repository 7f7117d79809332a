import { join } from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../helpers.js'

// Both run the build (page-budget/* resolves to dist/), as users do: `npm run test:unit` builds first.
describe('page-budget/vitest outside a test file', () => {
  it('gives a vitest.config its plugin: the run starts and the fixture works', { timeout: 120_000 }, async () => {
    const dir = tempDir()
    const run = await execa('npx', ['vitest', 'run', '--config', 'test/vitest/config-entry/vitest.config.ts'], {
      reject: false,
      all: true,
      env: { PAGE_BUDGET_TEST_CACHE: join(dir, 'cache'), NO_COLOR: '1' },
    })
    expect(run.all).not.toContain('failed to find the current suite')
    expect(run.exitCode, run.all).toBe(0)
    expect(run.all).toMatch(/Tests {2}1 passed \(1\)/)
  })

  it('has a test that, called there, names the entry to import instead', async () => {
    const run = await execa('node', ['--input-type=module', '-e', "import { test } from 'page-budget/vitest'; test('x', () => {})"], { reject: false })
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain("UsageError: page-budget/vitest's test runs only in test files, under the vitest command")
    expect(run.stderr).toContain("hint: in vitest.config or a globalSetup file import { pageBudget } from 'page-budget/vitest/plugin'")
  })
})
