import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../helpers.js'

const DIR = 'test/frameworks/unawaited'
const FILE = `${DIR}/unawaited.workload.ts`

/** Each test's outcome and failure text, as the framework's own JSON reporter wrote them. */
type Outcomes = Record<string, { status: string; message: string }>

async function underVitest(): Promise<Outcomes> {
  const dir = tempDir()
  const output = join(dir, 'report.json')
  await execa('npx', ['vitest', 'run', '--config', `${DIR}/vitest.config.ts`, '--reporter=json', `--outputFile=${output}`], {
    reject: false,
    env: { PAGE_BUDGET_TEST_CACHE: join(dir, 'cache'), FORCE_COLOR: '0' },
  })
  const report = JSON.parse(readFileSync(output, 'utf8')) as { testResults: { assertionResults: { title: string; status: string; failureMessages: string[] }[] }[] }
  return Object.fromEntries(report.testResults.flatMap((file) => file.assertionResults).map((r) => [r.title, { status: r.status, message: r.failureMessages.join('\n') }]))
}

async function underPlaywright(): Promise<Outcomes> {
  const dir = tempDir()
  const output = join(dir, 'report.json')
  await execa('npx', ['playwright', 'test', '-c', `${DIR}/playwright.config.ts`, '--reporter=json', '--output', join(dir, 'results')], {
    reject: false,
    env: { PAGE_BUDGET_TEST_CACHE: join(dir, 'cache'), PLAYWRIGHT_JSON_OUTPUT_NAME: output, PAGE_BUDGET_FRAMEWORK: 'playwright', FORCE_COLOR: '0' },
  })
  interface Spec { title: string; tests: { results: { status: string; errors: { message?: string }[] }[] }[] }
  const report = JSON.parse(readFileSync(output, 'utf8')) as { suites: { specs: Spec[] }[] }
  return Object.fromEntries(report.suites.flatMap((suite) => suite.specs).map((spec) => {
    const result = spec.tests[0]!.results[0]!
    return [spec.title, { status: result.status === 'expected' ? 'passed' : result.status, message: result.errors.map((e) => e.message ?? '').join('\n') }]
  }))
}

/** The line of the workload file that holds `text`. */
const line = (text: string) => readFileSync(FILE, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1

describe.each([['Vitest', underVitest], ['Playwright', underPlaywright]] as const)('an un-awaited assertion under %s', (_, run) => {
  it('fails its own test with E_NOT_AWAITED at its line, kept or broken, and no later test', { timeout: 120_000 }, async () => {
    const outcomes = await run()
    const broken = outcomes['forgets to await a budget it breaks']!
    expect(broken.status).toBe('failed')
    expect(broken.message).toContain('UnawaitedAssertionError')
    expect(broken.message).toContain(`expect(pageOwner).toAllocateAtMost('1 MiB') at ${FILE}:${line("'1 MiB'")}`)
    const kept = outcomes['forgets to await a budget it keeps']!
    expect(kept.status).toBe('failed')
    expect(kept.message).toContain(`toAllocateAtMost('1 GiB'`)
    expect(outcomes['awaits, after them']).toEqual({ status: 'passed', message: '' })
  })
})
