import { defineConfig } from 'vitest/config'
import { pageBudget } from 'page-budget/vitest/plugin'
import { PageBudgetReporter } from 'page-budget/vitest/reporter'

// The guest runs in the host's root file system (read-only, with the guest's own /proc, /sys,
// /dev and writable /tmp, /tmpfs), so host programs run there as they are, dynamically linked
// ones too. This directory, where the test builds its program, is shared at its own path: the
// share shows the host's files as they are now, where the host root is read once and cached.
export default defineConfig({
  plugins: [
    pageBudget({
      target: { kind: 'qemu', memory: 1024, hostRoot: true, share: [{ host: import.meta.dirname, guest: import.meta.dirname }] },
    }),
  ],
  test: {
    include: ['examples/shared-binary/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default', new PageBudgetReporter()],
  },
})
