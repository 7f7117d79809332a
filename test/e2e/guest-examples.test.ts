import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { findBuiltKernel } from '../../src/kernel-build/build.js'
import { QEMU } from '../../src/target/qemu/qemu.js'
import { tempDir } from '../helpers.js'

/**
 * examples/shared-binary and examples/ext4 as a user runs them (`vitest run --config ...`, one
 * VM each, booted by the plugin with the example's shares, host root or disk): every test in
 * them passes. Skipped without a kernel or QEMU, except under CI=true.
 */
const kernel = process.env.PAGE_BUDGET_KERNEL ?? findBuiltKernel()
const hasQemu = (await execa(QEMU, ['--version'], { reject: false })).exitCode === 0

interface VitestJson {
  numTotalTests: number
  numPassedTests: number
  testResults: Array<{ assertionResults: Array<{ title: string; status: string }> }>
}

async function runExample(name: string): Promise<{ exitCode: number | undefined; output: string; tests: Array<[string, string]> }> {
  const output = join(tempDir(), 'vitest.json')
  const run = await execa('node', ['node_modules/vitest/vitest.mjs', 'run', '--config', `examples/${name}/vitest.config.ts`, '--reporter=json', `--outputFile=${output}`], {
    reject: false,
    all: true,
    env: { FORCE_COLOR: '0' },
  })
  const json = JSON.parse(readFileSync(output, 'utf8')) as VitestJson
  return { exitCode: run.exitCode, output: run.all, tests: json.testResults.flatMap((file) => file.assertionResults.map((test): [string, string] => [test.title, test.status])) }
}

describe.skipIf(!(kernel && hasQemu) && !process.env.CI)('the guest examples on the QEMU target', () => {
  it('examples/shared-binary: a program built on the host holds 64 MiB in the guest, budgeted on the fault path; host programs run', { timeout: 600_000 }, async () => {
    const run = await runExample('shared-binary')
    expect(run.exitCode, run.output).toBe(0)
    expect(run.tests).toEqual([
      ['a program holding 64 MiB of anonymous memory is budgeted on the fault path', 'passed'],
      ['host programs run in the guest as they are', 'passed'],
    ])
  })

  it('examples/ext4: a file on an ext4 disk is budgeted on ext4 page-cache stacks and freed by rm', { timeout: 600_000 }, async () => {
    const run = await runExample('ext4')
    expect(run.exitCode, run.output).toBe(0)
    expect(run.tests).toEqual([['64 MiB written to ext4 costs 64 MiB of page cache, and rm frees it', 'passed']])
  })
})
