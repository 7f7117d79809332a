import { execa } from 'execa'
import { afterAll, describe, expect, it } from 'vitest'
import { ExecError, GuestKernelError, OomKilledError } from '../../src/errors.js'
import { findBuiltKernel } from '../../src/kernel-build/build.js'
import type { Measurement } from '../../src/session/measurement.js'
import { Session } from '../../src/session/session.js'
import { QEMU } from '../../src/target/qemu/qemu.js'
import { startVm, type QemuVm } from '../../src/target/qemu/vm.js'
import { rejection, tempDir } from '../helpers.js'

/**
 * Workloads the guest kills, and a guest kernel that crashes, on the real test kernel: each in
 * a small VM of its own, since an overfilled tmpfs or a panic leaves nothing to share. Skipped
 * without a kernel or QEMU, except under CI=true.
 */
const kernel = process.env.PAGE_BUDGET_KERNEL ?? findBuiltKernel()
const hasQemu = (await execa(QEMU, ['--version'], { reject: false })).exitCode === 0

const vms: QemuVm[] = []
afterAll(async () => {
  await Promise.all(vms.map((vm) => vm.stop()))
})

/** A measured section on a fresh 192 MiB VM without swap: small, so awk fills it soon. */
async function section(): Promise<{ vm: QemuVm; pageOwner: Measurement }> {
  const vm = await startVm({ kind: 'qemu', kernel, memory: 192, cpus: 1 })
  vms.push(vm)
  const session = await Session.open(vm.target, { cacheDir: tempDir() })
  return { vm, pageOwner: await session.begin() }
}

/** An awk array that grows until the kernel has no memory left for it. */
const HOG = "awk 'BEGIN { while (1) a[i++] = i }'"

describe.skipIf(!(kernel && hasQemu) && !process.env.CI)('the guest ends a workload or crashes', () => {
  it('names the OOM killer, its victim and what it held; the guest carries on; a panic fails at once', { timeout: 300_000 }, async () => {
    const { vm, pageOwner } = await section()
    const error = await rejection(pageOwner.exec(HOG, { reject: false }))
    expect(error).toBeInstanceOf(OomKilledError)
    const oom = error as OomKilledError
    expect(oom).toMatchObject({ code: 'E_OOM', exitCode: 137, signal: 'SIGKILL', command: HOG, victim: { comm: 'awk' } })
    // Nearly all of the guest went to awk's array.
    expect(oom.victim.anonRssKiB).toBeGreaterThan(96 << 10)
    expect(oom.message).toMatch(/^the guest's OOM killer ended awk \(pid \d+\), which held anon \d+ MiB, file \d+ MiB, shmem \d+ MiB: awk/)
    expect(oom.message).toMatch(/> .*awk invoked oom-killer: gfp_mask=/)
    expect(oom.message).toMatch(/> .*Out of memory: Killed process \d+ \(awk\)/)
    // The victim's memory came back: the guest runs commands as before.
    expect((await pageOwner.exec('echo alive')).stdout).toBe('alive\n')

    // A kernel crash ends the VM (panic=-1, -no-reboot): the running request fails with the report.
    const started = Date.now()
    const crash = await rejection(pageOwner.exec('echo c > /proc/sysrq-trigger'))
    expect(crash).toBeInstanceOf(GuestKernelError)
    expect(crash).toMatchObject({ kind: 'panic', code: 'E_GUEST_KERNEL' })
    expect(crash.message).toMatch(/the guest kernel reported a panic\n  \| Kernel panic - not syncing: sysrq triggered crash\n/)
    expect(crash.message).toContain(`hint: the kernel under test is broken, not the test: the whole console is in ${vm.consoleLog}`)
    expect(Date.now() - started).toBeLessThan(30_000)
    // Every later request gets the same named error.
    await expect(pageOwner.exec('true')).rejects.toBe(crash)
  })

  it("the seed's pressure recipe, sized past the guest's memory, runs out of tmpfs, not of memory", { timeout: 300_000 }, async () => {
    const { pageOwner } = await section()
    // /tmpfs-noswap cannot be swapped; 512 MiB of it cannot fit in 192 MiB of RAM. The guest's
    // mounts stop 64 MiB short of its RAM, so the write fails instead of deadlocking the kernel.
    const error = await rejection(pageOwner.exec('head -c $((512 << 20)) /dev/zero > /tmpfs-noswap/f'))
    expect(error).toBeInstanceOf(ExecError)
    expect(error).not.toBeInstanceOf(OomKilledError)
    expect(error).toMatchObject({ code: 'E_EXEC', exitCode: 1 })
    // busybox head reports any failed write to its output as an I/O error (here ENOSPC).
    expect(error.message).toMatch(/^command exited with 1: head -c .*\n  \| head: standard output: I\/O error/)
    expect(Number((await pageOwner.exec('stat -c %s /tmpfs-noswap/f')).stdout)).toBeLessThan(192 << 20)
    expect((await pageOwner.exec('rm /tmpfs-noswap/f && echo alive')).stdout).toBe('alive\n')
  })
})
