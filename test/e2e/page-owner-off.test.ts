import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PageOwnerDisabledError } from '../../src/errors.js'
import { findBuiltKernel } from '../../src/kernel-build/cache.js'
import { Session } from '../../src/session/session.js'
import { startVm, type QemuVm } from '../../src/target/qemu/vm.js'
import { tempDir } from '../helpers.js'

const kernel = findBuiltKernel()
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
