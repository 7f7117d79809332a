// Copied into a run directory inside the package, so the package's own name resolves (to dist/).
import { expect, test } from 'page-budget/playwright'

// The recorded dd, replayed: every test measures the same 65536 pages. What differs is what
// the seeded baseline file holds for it (test/playwright/update-modes.test.ts).
const shmemWrite = { frames: ['shmem_*', 'vfs_write'] }

for (const title of ['grew', 'held', 'new']) {
  test(title, async ({ pageOwner }) => {
    // The worker's tests share one replay target: each replays the workload from its start.
    const replay = pageOwner.session.target as unknown as { step(name: string): void }
    replay.step('before')
    await pageOwner.mark('begin')
    replay.step('after')
    await expect(pageOwner).toStayWithinBaseline({ ...shmemWrite, since: 'begin' })
    console.log('carried on after the baseline assertion')
  })
}
