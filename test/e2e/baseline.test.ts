import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { findBuiltKernel } from '../../src/kernel-build/build.js'
import { QEMU } from '../../src/target/qemu/qemu.js'
import { baselinePath, readBaselines } from '../../src/verdict/baseline-file.js'

/**
 * Stored baselines on the QEMU target, through each framework's own update flag: record on the
 * first run, pass unchanged, fail once the workload doubles, pass again after the update flag.
 * Skipped without a kernel or QEMU, except under CI=true, where the missing piece fails the run.
 */
const kernel = process.env.PAGE_BUDGET_KERNEL ?? findBuiltKernel()
const hasQemu = (await execa(QEMU, ['--version'], { reject: false })).exitCode === 0
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

const WORKLOAD = (entry: string) => `import { expect, test } from '../../../src/${entry}/index.js'

test('dd to tmpfs', async ({ pageOwner }) => {
  await pageOwner.exec(\`dd if=/dev/zero of=/tmpfs/baseline bs=1M count=\${process.env.WORKLOAD_MB} status=none\`)
  try {
    await expect(pageOwner).toStayWithinBaseline({ frames: ['shmem_*'] })
  } finally {
    await pageOwner.exec('rm -f /tmpfs/baseline')
  }
})
`

const CONFIG = {
  vitest: `import { defineConfig } from 'vitest/config'
import { pageBudget } from '../../../src/vitest/plugin.js'

export default defineConfig({
  plugins: [pageBudget({ target: { kind: 'qemu' }, baseline: { tolerance: '10%' } })],
  test: { root: import.meta.dirname, include: ['*.workload.ts'], testTimeout: 120_000, hookTimeout: 300_000 },
})
`,
  playwright: `import { defineConfig } from '@playwright/test'
import { pageBudgetGlobalSetup } from '../../../src/playwright/index.js'

export default defineConfig({
  testDir: '.',
  testMatch: '*.workload.ts',
  globalSetup: pageBudgetGlobalSetup,
  timeout: 120_000,
  outputDir: 'results',
  use: { pageBudgetConfig: { target: { kind: 'qemu' }, baseline: { tolerance: '10%' } } },
} as never)
`,
}

/** A test project in .cache/ (ignored by git) at a fixed depth, so it imports page-budget's source. */
function project(framework: 'vitest' | 'playwright'): string {
  const parent = join(ROOT, '.cache', 'e2e-baseline')
  mkdirSync(parent, { recursive: true })
  const dir = mkdtempSync(join(parent, `${framework}-`))
  writeFileSync(join(dir, 'dd.workload.ts'), WORKLOAD(framework))
  writeFileSync(join(dir, `${framework}.config.ts`), CONFIG[framework])
  return dir
}

const FLAGS = {
  vitest: { run: ['vitest', 'run', '--config'], update: '-u' },
  playwright: { run: ['playwright', 'test', '-c'], update: '--update-snapshots' },
}

describe.skipIf(!(kernel && hasQemu) && !process.env.CI)('toStayWithinBaseline on the QEMU target', () => {
  for (const framework of ['vitest', 'playwright'] as const) {
    it(`records, holds, catches a doubled workload and takes the update flag (${framework})`, { timeout: 600_000 }, async () => {
      const dir = project(framework)
      const stored = async () => (await readBaselines(baselinePath(join(dir, 'dd.workload.ts')))).tests['dd to tmpfs']?.['shmem_*']?.pages
      const run = (mib: number, update = false) =>
        execa('npx', [...FLAGS[framework].run, join(dir, `${framework}.config.ts`), ...(update ? [FLAGS[framework].update] : [])], {
          reject: false,
          all: true,
          timeout: 240_000,
          // Not CI: there, like snapshots, missing baselines are never written.
          env: { CI: '', WORKLOAD_MB: String(mib), FORCE_COLOR: '0' },
        })

      // A missing baseline is written either way. Vitest passes the test, as its snapshots do;
      // Playwright, run without an update flag, fails it, as its own snapshots do.
      const first = await run(64)
      expect(first.exitCode, first.all).toBe(framework === 'vitest' ? 0 : 1)
      if (framework === 'playwright') expect(first.all).toContain('Recorded now in')
      expect(await stored()).toBeGreaterThanOrEqual(64 * 256)
      expect(await stored()).toBeLessThan(66 * 256)
      const committed = readFileSync(baselinePath(join(dir, 'dd.workload.ts')), 'utf8')

      const unchanged = await run(64)
      expect(unchanged.exitCode, unchanged.all).toBe(0)
      expect(readFileSync(baselinePath(join(dir, 'dd.workload.ts')), 'utf8')).toBe(committed)

      const doubled = await run(128)
      expect(doubled.exitCode, doubled.all).toBe(1)
      expect(doubled.all).toMatch(/Expected: at most 16\d{3} pages \(6\d(\.\d+)? MiB\) \(the baseline\) with [\d.]+ pages \([\d.]+ MiB\) tolerance/)
      expect(doubled.all).toMatch(/Now: +3\d{4} pages \(12\d(\.\d+)? MiB\) \(\+\d+\.\d%\)/)
      // The stack that grew, then its frames (one per line) down to the shmem write path.
      expect(doubled.all).toMatch(/Stacks that grew since the baseline[^\n]*\n[ \t]+\+16\d{3} pages[^\n]*\n(?:[ \t]+[^\n]*\n)*?[ \t]+shmem_write_begin\n/)

      const updated = await run(128, true)
      expect(updated.exitCode, updated.all).toBe(0)
      expect(await stored()).toBeGreaterThanOrEqual(128 * 256)
      expect((await run(128)).exitCode).toBe(0)
      // Kept for a look when the test fails.
      rmSync(dir, { recursive: true })
    })
  }
})
