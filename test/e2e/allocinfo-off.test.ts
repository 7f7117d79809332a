import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AllocInfoUnavailableError } from '../../src/errors.js'
import { findBuiltKernel } from '../../src/kernel-build/cache.js'
import { Session } from '../../src/session/session.js'
import { startVm, type QemuVm } from '../../src/target/qemu/vm.js'
import { tempDir } from '../helpers.js'

const kernel = findBuiltKernel()
const hasQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0

/** A session on `vm`, and the error a budget on call sites gets there (undefined: it worked); stacks always work. */
async function sitesBudget(vm: QemuVm): Promise<{ session: Session; error: unknown }> {
  const session = await Session.open(vm.target, { cacheDir: tempDir(), lock: false })
  const pageOwner = await session.begin()
  expect((await pageOwner.delta({ frames: ['shmem_*'] })).source).toBe('stacks')
  const error = await pageOwner.delta({ sites: ['fs/dcache.c:*'] }).then(() => undefined, (e: unknown) => e)
  await pageOwner.end()
  return { session, error }
}

/** The test kernel booted for the enclosing describe with `append` on its command line. */
function bootedWith(append: string): () => QemuVm {
  let vm: QemuVm | undefined
  beforeAll(async () => {
    vm = await startVm({ kind: 'qemu', append })
  })
  afterAll(() => vm?.stop())
  return () => vm!
}

// Under CI a missing kernel or QEMU fails this file instead of skipping it.
describe.skipIf(!(kernel && hasQemu) && !process.env.CI)('the test kernel with allocation profiling switched off', () => {
  describe('at boot, sysctl.vm.mem_profiling=0', () => {
    const booted = bootedWith('sysctl.vm.mem_profiling=0')

    it('probes off: stacks work, a budget on call sites is a named error, and the sysctl turns it on', async () => {
      const vm = booted()
      const { session, error } = await sitesBudget(vm)
      expect(session.capabilities.allocinfo).toBe('off')
      expect(error).toBeInstanceOf(AllocInfoUnavailableError)
      expect(error).toMatchObject({ reason: 'off', code: 'E_ALLOCINFO_OFF' })
      expect((error as Error).message).toContain('hint: turn it on before the test: sysctl vm.mem_profiling=1')
      // The hint's fix, followed: the next session counts.
      await vm.target.exec!('echo 1 > /proc/sys/vm/mem_profiling')
      const again = await sitesBudget(vm)
      expect(again.session.capabilities.allocinfo).toBe('available')
      expect(again.error).toBeUndefined()
    })
  })

  describe('at boot, sysctl.vm.mem_profiling=never', () => {
    const booted = bootedWith('sysctl.vm.mem_profiling=never')

    it('has no /proc/allocinfo at all, and says profiling is off rather than not built', async () => {
      const vm = booted()
      expect(await vm.target.exists('allocinfo')).toBe(false)
      const { session, error } = await sitesBudget(vm)
      expect(session.capabilities.allocinfo).toBe('off')
      expect(error).toBeInstanceOf(AllocInfoUnavailableError)
      expect(error).toMatchObject({ reason: 'off' })
    })
  })
})
