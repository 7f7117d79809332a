import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { beforeAll, describe, expect, it } from 'vitest'
import { defaultCacheDir } from '../../../src/io/cache-dir.js'
import { buildKernel, type KernelBuild } from '../../../src/kernel-build/build.js'
import { debianKey, findCachedKernel } from '../../../src/kernel-build/cache.js'
import { parseReport } from '../../../src/report/read.js'
import { tempDir } from '../../helpers.js'
import { git, syntheticHistory, type History } from './history.js'
import { BUDGET, PROBE } from './probe.js'

/**
 * Issue 15's proof: a synthetic git history of the unpacked Debian tree (import, a debugfs knob
 * that holds N pages, a comment, then the regression: chunks of two pages), built from one tree
 * with one build directory. The same suite runs against the base and the candidate kernel in
 * one Vitest run; `page-budget compare` names the patched function as the top growth; `git
 * bisect run page-budget run` finds the regression's commit; an interrupted run leaves no VM.
 */
const cacheDir = defaultCacheDir()
const cached = findCachedKernel(cacheDir, debianKey({}))
const source = cached?.record.source.kind === 'debian' ? join(cacheDir, 'sources', `${cached.record.source.package}_${cached.record.source.packageVersion}`) : undefined
const hasQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0
const BIN = fileURLToPath(new URL('../../../dist/cli/bin.js', import.meta.url))
const RUN = ['run', '--exec', PROBE, '--at-most', BUDGET.atMost, '--frames', ...BUDGET.frames, '--memory', '512']
const built = (build: KernelBuild) => `${build.reused ? 'reused' : 'built'} in ${Math.round(build.seconds)} s`

/** Files the build log says were compiled: what an incremental build redid. */
function compiledFiles(build: KernelBuild): number {
  return build.log ? readFileSync(build.log, 'utf8').split('\n').filter((line) => /^\s+(CC|AS)\s/.test(line)).length : 0
}

// Under CI a missing kernel or QEMU fails this file instead of skipping it.
describe.skipIf(!(source && hasQemu) && !process.env.CI)('a memory regression, compared across two kernels and bisected to its commit', () => {
  let history: History
  let base: KernelBuild
  let candidate: KernelBuild

  beforeAll(async () => {
    history = await syntheticHistory(cacheDir, source!)
    await git(history.dir, 'checkout', '-q', history.probe)
    // The history is a hard-linked copy of the tree the test kernel was built from: its first
    // build starts from that tree's build directory, so it compiles what the commits change.
    base = await buildKernel({ source: history.dir, copyOf: source! })
    await git(history.dir, 'checkout', '-q', history.regression)
    // The same tree, so the same build directory: only what the commits between changed is rebuilt.
    candidate = await buildKernel({ source: history.dir })
    console.info(`bisect proof: base ${built(base)} (${compiledFiles(base)} files), candidate ${built(candidate)} (${compiledFiles(candidate)} files)`)
  }, 7_200_000)

  it('runs one suite on both kernels, each report tagged with its kernel, and compare names the patched function as the top growth', async () => {
    const reports = tempDir('page-budget-bisect-reports-')
    const suite = await execa('node', ['node_modules/vitest/vitest.mjs', 'run', '--config', 'test/e2e/bisect/vitest.config.ts'], {
      reject: false,
      all: true,
      env: { FORCE_COLOR: '0', PAGE_BUDGET_BASE: base.bzImage, PAGE_BUDGET_CANDIDATE: candidate.bzImage, PAGE_BUDGET_REPORTS: reports },
    })
    // The candidate breaks the budget the base keeps.
    expect(suite.exitCode, suite.all).toBe(1)
    const [before, after] = ['base', 'candidate'].map((project) => {
      const path = join(reports, `page-budget-${project}.json`)
      return parseReport(JSON.parse(readFileSync(path, 'utf8')), path)
    })
    expect(before!.tests.map((test) => [test.project, test.status])).toEqual([['base', 'passed']])
    expect(after!.tests.map((test) => [test.project, test.status])).toEqual([['candidate', 'failed']])
    const tag = (report: typeof before) => report!.tests[0]!.kernel!
    expect(tag(before).source).toBe(`tree ${history.dir} git ${history.probe.slice(0, 12)}`)
    expect(tag(after).source).toBe(`tree ${history.dir} git ${history.regression.slice(0, 12)}`)
    expect(tag(after).version).toBe(tag(before).version)
    // Same recipe, same config; what tells them apart is the commit.
    expect(tag(after).config).toMatch(/^[0-9a-f]{16}$/)
    expect(tag(after).config).toBe(tag(before).config)

    const files = [join(reports, 'page-budget-base.json'), join(reports, 'page-budget-candidate.json')]
    const compared = await execa('node', [BIN, 'compare', ...files], { reject: false, all: true })
    expect(compared.exitCode, compared.all).toBe(1)
    const lines = compared.stdout.split('\n')
    const top = lines.findIndex((line) => line.includes('Stacks by growth'))
    // The top growth: the knob's own stack, +256 pages (a write of 256 holds 512 now), its frames
    // trimmed as in a failure message, led by the function the regression changed.
    expect(lines[top + 1]).toMatch(/^\s+\+256 pages \(1 MiB\) \(256 -> 512\)$/)
    expect(lines.slice(top + 2, top + 5).map((line) => line.trim().replace(/\..*$/, ''))).toEqual(['…', 'page_budget_probe_fill', 'page_budget_probe_write'])
    const json = JSON.parse((await execa('node', [BIN, 'compare', ...files, '--json'], { reject: false })).stdout)
    expect(json.assertions[0].stacks[0]).toMatchObject({ base: 256, candidate: 512, growth: 256, status: 'grew' })
    // And back: from the candidate to the base nothing grew.
    expect((await execa('node', [BIN, 'compare', files[1]!, files[0]!], { reject: false })).exitCode).toBe(0)
  })

  it('page-budget run exits 0 within the budget on the base and 1 over it on the candidate', async () => {
    await git(history.dir, 'checkout', '-q', history.probe)
    const within = await execa('node', [BIN, ...RUN, '--source', history.dir], { reject: false, all: true })
    expect(within.exitCode, within.all).toBe(0)
    expect(within.stdout).toContain('page_budget_probe_write: 256 pages, expected at most 300 pages (1.17 MiB): within')
    await git(history.dir, 'checkout', '-q', history.regression)
    const over = await execa('node', [BIN, ...RUN, '--source', history.dir], { reject: false, all: true })
    expect(over.exitCode, over.all).toBe(1)
    expect(over.stdout).toContain('page_budget_probe_write: 512 pages, expected at most 300 pages (1.17 MiB): OVER')
    expect(over.stdout).toMatch(/^\s+page_budget_probe_fill\b/m)
  })

  it('git bisect run page-budget run finds the commit that grew the budget', async () => {
    await git(history.dir, 'bisect', 'start', history.regression, history.probe)
    try {
      const bisect = await execa('git', ['bisect', 'run', 'node', BIN, ...RUN, '--source', '.'], { cwd: history.dir, reject: false, all: true })
      expect(bisect.exitCode, bisect.all).toBe(0)
      expect(bisect.stdout).toContain(`${history.regression} is the first bad commit`)
      // The one step tested the comment commit: an incremental build of the tree's build directory.
      console.info(`bisect proof: ${bisect.all!.split('\n').filter((line) => line.includes('page-budget run: kernel ')).join('; ')}`)
    } finally {
      await git(history.dir, 'bisect', 'reset')
    }
  })

  it('an interrupted run stops its VM', async () => {
    await git(history.dir, 'checkout', '-q', history.regression)
    const child = spawn('node', [BIN, 'run', '--source', history.dir, '--exec', 'sleep 600', '--at-most', '1 MiB', '--memory', '512'], { stdio: ['ignore', 'ignore', 'pipe'] })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    let stderr = ''
    const running = new Promise<number>((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk
        const pid = /qemu pid (\d+)/.exec(stderr)?.[1]
        if (pid && stderr.includes('running sleep 600')) resolve(Number(pid))
      })
      void exited.then(() => reject(new Error(`page-budget run exited before its workload ran:\n${stderr}`)))
    })
    const qemu = await running
    child.kill('SIGTERM')
    expect(await exited, stderr).toBe(143)
    // stop() waited for QEMU to exit before the process did.
    expect(spawnSync('kill', ['-0', String(qemu)]).status, `QEMU pid ${qemu} is still running`).not.toBe(0)
  })
})
