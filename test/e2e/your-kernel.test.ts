import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KernelBuildError } from '../../src/errors.js'
import { defaultCacheDir } from '../../src/io/cache-dir.js'
import { buildKernel, type KernelBuild } from '../../src/kernel-build/build.js'
import { debianKey, findCachedKernel } from '../../src/kernel-build/cache.js'
import { Session } from '../../src/session/session.js'
import { startVm, type QemuVm } from '../../src/target/qemu/vm.js'
import { rejection, tempDir } from '../helpers.js'

// The unpacked Debian tree the default kernel was built from stands in for a tree of the user's.
const cached = findCachedKernel(defaultCacheDir(), debianKey({}))
const source = cached?.record.source.kind === 'debian' ? join(defaultCacheDir(), 'sources', `${cached.record.source.package}_${cached.record.source.packageVersion}`) : undefined
const hasQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0
/** The option the recipe lacks: the kernel's own .config, readable at /proc/config.gz. */
const OPTIONS = ['CONFIG_IKCONFIG', 'CONFIG_IKCONFIG_PROC']

// Under CI a missing kernel or QEMU fails this file instead of skipping it.
describe.skipIf(!(source && hasQemu) && !process.env.CI)('page-budget kernel build --source', () => {
  it('names an --enable option whose dependency is off, and that dependency', async () => {
    // Configures only: olddefconfig drops the option before anything compiles.
    const error = await rejection(buildKernel({ source, enable: ['CONFIG_XFS_QUOTA'], cacheDir: tempDir() }))
    expect(error).toBeInstanceOf(KernelBuildError)
    expect(error).toMatchObject({ reason: 'config-dropped' })
    expect(error.message).toContain('CONFIG_XFS_QUOTA=y (got not set): depends on XFS_FS; off here: CONFIG_XFS_FS')
  }, 300_000)

  describe('a tree plus an option the recipe lacks, booted', () => {
    let built: KernelBuild
    let vm: QemuVm
    beforeAll(async () => {
      // The tree's build directory is the default kernel's: only what the option touches is rebuilt.
      built = await buildKernel({ source, enable: OPTIONS })
      vm = await startVm({ kind: 'qemu', kernel: built.bzImage, memory: 512 })
    }, 1_500_000)
    afterAll(() => vm?.stop())

    it('is a kernel of that tree, with the option in its .config, that page-budget measures', async () => {
      expect(findCachedKernel(defaultCacheDir(), debianKey({}))?.bzImage).not.toBe(built.bzImage)
      const session = await Session.open(vm.target, { cacheDir: tempDir() })
      expect(session.capabilities.path).toBe('show_handles')
      const config = await vm.target.exec!('zcat /proc/config.gz | grep -E "^CONFIG_IKCONFIG_PROC=y$"')
      expect(config).toMatchObject({ exitCode: 0, stdout: 'CONFIG_IKCONFIG_PROC=y\n' })
      await session.close()
    })
  })

  describe('the default kernel, for the other direction', () => {
    let vm: QemuVm
    beforeAll(async () => {
      vm = await startVm({ kind: 'qemu', memory: 512 })
    })
    afterAll(() => vm?.stop())

    it('has no /proc/config.gz: the test above passes only with the option in', async () => {
      expect((await vm.target.exec!('test -e /proc/config.gz')).exitCode).toBe(1)
    })
  })
})
