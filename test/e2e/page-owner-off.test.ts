import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PageOwnerDisabledError } from '../../src/errors.js'
import { defaultCacheDir } from '../../src/io/cache-dir.js'
import { findBuiltKernel } from '../../src/kernel-build/cache.js'
import { Session } from '../../src/session/session.js'
import { startVm, type QemuVm } from '../../src/target/qemu/vm.js'
import { tempDir } from '../helpers.js'

const kernel = findBuiltKernel()
/** The test kernel's recipe with page_owner left out (npm test's setup builds it, incrementally on the recipe's tree). */
const NOT_BUILT = { disable: ['CONFIG_PAGE_OWNER'] }
const withoutPageOwner = findBuiltKernel(defaultCacheDir(), NOT_BUILT)
const hasQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0

// Under CI a missing kernel or QEMU fails this file instead of skipping it.
describe.skipIf(!(kernel && hasQemu) && !process.env.CI)('the page_owner kernel booted without page_owner=on', () => {
  let vm: QemuVm
  beforeAll(async () => {
    vm = await startVm({ kind: 'qemu', pageOwner: false })
  })
  afterAll(() => vm?.stop())

  it('is refused with a PageOwnerDisabledError that names the missing boot option', async () => {
    const error = await Session.open(vm.target, { cacheDir: tempDir() }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PageOwnerDisabledError)
    expect((error as PageOwnerDisabledError).reason).toBe('not-enabled')
    expect((error as Error).message).toMatch(/booted without page_owner=on \(kernel command line: console=ttyS0 .*\)/)
    expect((error as Error).message).toContain('hint: add page_owner=on to the kernel command line')
  })
})

describe.skipIf(!(withoutPageOwner && hasQemu) && !process.env.CI)('a kernel built without CONFIG_PAGE_OWNER, booted with page_owner=on', () => {
  let vm: QemuVm
  beforeAll(async () => {
    vm = await startVm({ kind: 'qemu', kernel: withoutPageOwner })
  })
  afterAll(() => vm?.stop())

  it('is refused with a PageOwnerDisabledError that says to rebuild, not to reboot', async () => {
    expect((await vm.target.exec!('cat /proc/cmdline')).stdout).toMatch(/(^|\s)page_owner=on(\s|$)/)
    const error = await Session.open(vm.target, { cacheDir: tempDir() }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PageOwnerDisabledError)
    expect((error as PageOwnerDisabledError).reason).toBe('not-built')
    expect((error as Error).message).toContain('this kernel was built without CONFIG_PAGE_OWNER (no page_owner symbols in /proc/kallsyms)')
    expect((error as Error).message).toContain('hint: build a kernel with CONFIG_PAGE_OWNER=y')
  })
})
