import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { findBuiltKernel } from '../../src/kernel-build/cache.js'
import { tempDir } from '../helpers.js'

const kernel = findBuiltKernel()
const hasQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0

interface JsonReport {
  testResults: { assertionResults: { title: string; status: string; failureMessages: string[] }[] }[]
}

// Under CI a missing kernel or QEMU fails this file instead of skipping it.
describe.skipIf(!(kernel && hasQemu) && !process.env.CI)('a VM that dies during a run', () => {
  it('fails the test it dies in with a VmError, reports the rest, and leaves no QEMU behind', () => {
    const cache = tempDir('page-budget-dying-')
    const output = join(tempDir('page-budget-dying-report-'), 'report.json')
    const run = spawnSync(
      process.execPath,
      ['node_modules/vitest/vitest.mjs', 'run', '--config', 'test/e2e/fixtures/dying-vm/vitest.config.ts', '--reporter=json', `--outputFile=${output}`],
      { env: { ...process.env, PB_DYING_CACHE: cache }, encoding: 'utf8', timeout: 240_000 },
    )
    expect(run.status, run.stderr).toBe(1)
    expect(existsSync(output), run.stderr).toBe(true)
    const report = JSON.parse(readFileSync(output, 'utf8')) as JsonReport
    const results = Object.fromEntries(report.testResults.flatMap((file) => file.assertionResults).map((r) => [r.title, r]))

    expect(results['the VM dies mid-test']?.status).toBe('failed')
    expect(results['the VM dies mid-test']?.failureMessages.join('\n')).toMatch(/VmError: .*(VM|QEMU)/)
    expect(results['a later test on the dead VM']?.status).toBe('failed')
    expect(results['a later test on the dead VM']?.failureMessages.join('\n')).toMatch(/VmError/)
    expect(results['a test without the kernel still runs']?.status).toBe('passed')

    // No QEMU of this run survives it.
    const left = spawnSync('pgrep', ['-f', '--', cache], { encoding: 'utf8' })
    expect(left.stdout.trim()).toBe('')
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(cache)
  })
})
