import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { findBuiltKernel } from '../../src/kernel-build/build.js'

/**
 * `page-budget run` on the cached test kernel (no --source: the Debian build is reused at once):
 * exit 0 within the budget, 1 over it with the failure message, and an interrupted run stops its
 * VM before it exits. Bisecting a tree with it is test/e2e/bisect/.
 */
const BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url))
const hasKernel = findBuiltKernel() !== undefined
const hasQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0
const DD = ['--exec', 'dd if=/dev/zero of=/tmpfs/f bs=1M count=16', '--frames', 'shmem_*', '--memory', '512']

// Under CI a missing kernel or QEMU fails this file instead of skipping it.
describe.skipIf(!(hasKernel && hasQemu) && !process.env.CI)('page-budget run', () => {
  // Each run boots a VM, bounded by run's own --boot-timeout (180 s), which says what it waited for.
  it('exits 0 within the budget and 1 over it, naming the stacks', { timeout: 600_000 }, async () => {
    const within = await execa('node', [BIN, 'run', ...DD, '--at-most', '17 MiB'], { reject: false, all: true })
    expect(within.exitCode, within.all).toBe(0)
    expect(within.stdout).toMatch(/^page-budget run: shmem_\*: \d+ pages, expected at most 4352 pages \(17 MiB\): within$/m)
    expect(within.stdout).toMatch(/^page-budget run: 7\.\d+\.\d+, debian linux-source-\S+ \S+, config [0-9a-f]{16}$/m)
    const over = await execa('node', [BIN, 'run', ...DD, '--at-most', '8 MiB'], { reject: false, all: true })
    expect(over.exitCode, over.all).toBe(1)
    expect(over.stdout).toContain('expected at most 2048 pages (8 MiB): OVER')
    expect(over.stdout).toMatch(/^\s+shmem_write_begin$/m)
  })

  it('stops its VM when interrupted, and exits 143 (git bisect run stops)', { timeout: 300_000 }, async () => {
    const child = spawn('node', [BIN, 'run', '--exec', 'sleep 600', '--at-most', '1 MiB', '--memory', '512'], { stdio: ['ignore', 'ignore', 'pipe'] })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    let stderr = ''
    // run's own boot timeout bounds this wait: a boot that fails exits 125, and the wait says why.
    const qemu = await new Promise<number>((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk
        const pid = /qemu pid (\d+)/.exec(stderr)?.[1]
        if (pid && stderr.includes('running sleep 600')) resolve(Number(pid))
      })
      void exited.then((code) => reject(new Error(`page-budget run exited (${code}) before its workload ran:\n${stderr}`)))
    })
    child.kill('SIGTERM')
    expect(await exited, stderr).toBe(143)
    // stop() waited for QEMU to exit before the process did.
    expect(spawnSync('kill', ['-0', String(qemu)]).status, `QEMU pid ${qemu} is still running`).not.toBe(0)
  })
})
