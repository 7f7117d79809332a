import { expect, test } from 'page-budget/playwright'

// A budget too small for the workload: the failure names the budget, the pages measured and
// the stack that took them. Marked as expected to fail so the example run stays green; the
// HTML report shows the failure and the page-budget attachments.
test('256 MiB to tmpfs does not fit in 200 MiB', async ({ pageOwner }) => {
  test.fail()
  await pageOwner.exec('dd if=/dev/zero of=/tmpfs/big bs=1M count=256 status=none')
  try {
    await expect(pageOwner).toAllocateAtMost('200 MiB', { frames: ['shmem_*'] })
  } finally {
    await pageOwner.exec('rm -f /tmpfs/big')
  }
})
