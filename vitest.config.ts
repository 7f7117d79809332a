import { defineConfig } from 'vitest/config'
import { defaultCacheDir } from './src/io/cache-dir.js'
import { findBuiltKernel } from './src/kernel-build/cache.js'
import type { KernelRequest } from './src/kernel-build/request.js'
import { pageBudget } from './src/vitest/plugin.js'

/** A cached kernel of the recipe's, or (where it is not built) a path that names the command that builds it. */
function kernelFor(request: Omit<KernelRequest, 'source'>, build: string): string {
  return findBuiltKernel(defaultCacheDir(), request) ?? `/missing-kernel/run: page-budget ${build}`
}

/**
 * The kernel suite (test/e2e/kernel/) as a project: on the test kernel (`kernel`), or on Debian's
 * linux-source-`version` (`kernel-VERSION`). npm test's setup builds each kernel; a missing one
 * under CI is a boot error, never the default kernel in its place.
 */
function kernelSuiteOn(version?: `${number}.${number}`) {
  const kernel = version && kernelFor({ version }, `kernel build --version ${version}`)
  return {
    plugins: [pageBudget({ target: { kind: 'qemu', memory: 1024, ...(kernel && { kernel }) } })],
    test: {
      name: version ? `kernel-${version}` : 'kernel',
      include: ['test/e2e/kernel/**/*.test.ts'],
      testTimeout: 120_000,
      hookTimeout: 300_000,
    },
  }
}

/**
 * Seven projects: `unit` (recorded captures, no kernel), `kernel` (the matchers against the
 * real test kernel: one VM for the run, shared by all workers), `kernel-6.12` and `kernel-6.1`
 * (the same on Debian's 6.12 and 6.1), `swap` (a small VM with zram swap, for the seed's swap
 * scenario, driven by proactive reclaim), `vm` (the QEMU target itself: boots its own VMs to kill, time out and
 * misconfigure them, and the other kernels: swap_page_owner, without page_owner), and `bisect`
 * (two kernels of one tree compared and bisected, last and alone).
 */
export default defineConfig({
  test: {
    // At least two workers even on a 2-core machine: the kernel project's workers-a and
    // workers-b files must run at the same time against the one VM.
    maxWorkers: 3,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**'],
          // Some unit tests stream the 45 MB per-page capture; CI machines are shared and slow.
          testTimeout: 30_000,
        },
      },
      kernelSuiteOn(),
      // The same suite on Debian's older lines: 6.12 has no show_handles (page-budget falls back
      // to show_stacks, hashing every stack per sample), 6.1 only the per-page file.
      kernelSuiteOn('6.12'),
      kernelSuiteOn('6.1'),
      {
        // 640 MiB of RAM holds the 256 MiB /tmpfs file twice over: reclaim() pushes it to zram
        // and cat reads it back without the guest ever running short.
        plugins: [pageBudget({ target: { kind: 'qemu', memory: 640, swap: '512M' } })],
        test: {
          name: 'swap',
          include: ['test/e2e/swap/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'vm',
          include: ['test/e2e/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'bisect',
          include: ['test/e2e/bisect/*.test.ts'],
          // It builds kernels (its synthetic tree's first, from a copy of the test kernel's build
          // directory, then incremental ones), which takes both cores: it runs after every other
          // project, alone, so no VM of theirs boots on a machine it loads.
          sequence: { groupOrder: 1 },
          testTimeout: 900_000,
          // Without the test kernel's build directory to start from, a full build: 7-12 minutes on
          // two idle cores, far longer on a loaded machine.
          hookTimeout: 7_200_000,
        },
      },
    ],
  },
})
