import { expect, test } from 'page-budget/vitest'

// The feature under test here is the kernel's own .config in /proc (CONFIG_IKCONFIG_PROC):
// reading it must work, and must not leave pages behind on the read path.
test('the kernel under test has the feature, and reading it leaves no pages held', async ({ pageOwner }) => {
  const { stdout } = await pageOwner.exec('zcat /proc/config.gz | grep -c "^CONFIG_"')
  expect(Number(stdout)).toBeGreaterThan(100)
  await expect(pageOwner).toFreeAll({ frames: ['*config*', '!kmem_cache_*'] })
})
