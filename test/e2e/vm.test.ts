import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa, type ResultPromise } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TargetError, VmError } from '../../src/errors.js'
import { findBuiltKernel } from '../../src/kernel-build/build.js'
import { connectVm } from '../../src/target/qemu/client.js'
import { readText } from '../../src/target/read.js'
import { QEMU } from '../../src/target/qemu/qemu.js'
import { startVm, type QemuVm } from '../../src/target/qemu/vm.js'
import { running } from '../target/qemu/process.js'

/**
 * The QEMU target against the real test kernel, on TCG unless KVM is proven. Two VMs: the main
 * one (swap on) in this process, and one with page_owner off in another process, reached through
 * the broker and then SIGKILLed. Skipped without a kernel or QEMU, except under CI=true, where
 * startVm's named error fails the run instead.
 */
const kernel = process.env.PAGE_BUDGET_KERNEL ?? findBuiltKernel()
const hasQemu = (await execa(QEMU, ['--version'], { reject: false })).exitCode === 0
const CHILD = fileURLToPath(new URL('../target/qemu/vm-child.mjs', import.meta.url))

/** handle -> nr_base_pages from show_handles. */
function handles(showHandles: string): Map<number, number> {
  const counts = new Map<number, number>()
  for (const [, handle, pages] of showHandles.matchAll(/handle: (\d+)\nnr_base_pages: (\d+)/g)) counts.set(Number(handle), Number(pages))
  return counts
}

interface ChildVm {
  socketPath: string
  pid: number
  bootMs: number
}

/** Boots a VM in another process (vm-child.mjs): resolves when it prints its socket, rejects if it fails or dies first. */
function bootInChild(child: ResultPromise): Promise<ChildVm> {
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => {
      const line = JSON.parse(chunk.toString()) as ChildVm & { error?: string }
      if (line.error) reject(new VmError(line.error))
      else resolve(line)
    })
    void child.then((result) => reject(new VmError(`the VM child process ended before booting (${result.exitCode ?? result.signal})`)))
  })
}

describe.skipIf(!(kernel && hasQemu) && !process.env.CI)('QEMU target on the test kernel', () => {
  let vm: QemuVm
  let child: ResultPromise | undefined
  let other: ChildVm

  beforeAll(async () => {
    child = execa('node', [CHILD, JSON.stringify({ kind: 'qemu', kernel, pageOwner: false, memory: 512, cpus: 1 })], {
      reject: false,
      buffer: { stdout: false },
    })
    const [main, second] = await Promise.allSettled([startVm({ kind: 'qemu', kernel, swap: 256 }), bootInChild(child)])
    // The main VM's error first: without a kernel or QEMU (under CI) it is the named one.
    if (main.status === 'rejected') throw main.reason
    vm = main.value
    if (second.status === 'rejected') throw second.reason
    other = second.value
    console.log(`boot to HELLO: ${Math.round(vm.bootMs)} ms (${vm.accel}, 2 vCPUs, 1024 MiB); other VM ${Math.round(other.bootMs)} ms`)
  }, 180_000)

  afterAll(async () => {
    child?.kill('SIGKILL')
    await vm?.stop()
  })

  it('boots the kernel and runs commands in it', async () => {
    expect(vm.bootId).toMatch(/^[0-9a-f-]{36}$/)
    expect(vm.pageSize).toBe(4096)
    expect(vm.target.description).toBe(`qemu ${vm.kernelRelease} (${vm.accel}, 1024 MiB)`)
    const uname = await vm.target.exec!('uname -r')
    expect(uname).toEqual({ exitCode: 0, stdout: `${vm.kernelRelease}\n`, stderr: '' })
    expect((await readText(vm.target, 'boot_id')).trim()).toBe(vm.bootId)
  })

  it('reads show_handles, and sees dd of 64 MiB to /tmpfs land on one stack', async () => {
    const before = handles(await readText(vm.target, 'show_handles'))
    expect(before.size).toBeGreaterThan(0)
    const dd = await vm.target.exec!('dd if=/dev/zero of=/tmpfs/file bs=1M count=64 2>&1 && stat -c %s /tmpfs/file')
    expect(dd.exitCode).toBe(0)
    expect(dd.stdout).toMatch(/^67108864$/m)
    const after = handles(await readText(vm.target, 'show_handles'))
    const grown = Math.max(...[...after].map(([handle, pages]) => pages - (before.get(handle) ?? 0)))
    expect(grown).toBeGreaterThanOrEqual(16384)
    await vm.target.exec!('rm /tmpfs/file')
  })

  it('runs concurrent commands side by side', async () => {
    // Each command notes the guest's uptime as it starts and ends: side by side, every one
    // started before any ended, however slowly this host runs the guest.
    const uptime = 'cut -d" " -f1 /proc/uptime'
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => vm.target.exec!(`${uptime}; sleep 1; ${uptime}; echo ${i}`)))
    expect(results.map((r) => r.stdout.split('\n')[2])).toEqual(Array.from({ length: 8 }, (_, i) => `${i}`))
    const [starts, ends] = [0, 1].map((line) => results.map((r) => Number(r.stdout.split('\n')[line])))
    expect(Math.max(...starts!)).toBeLessThan(Math.min(...ends!))
  })

  it('kills a command that outlives its timeout, in the guest too', async () => {
    await expect(vm.target.exec!('sleep 100', { timeout: 1_000 })).rejects.toThrow(TargetError)
    await expect(vm.target.exec!('sleep 100', { timeout: 500 })).rejects.toThrow(/timed out after 500 ms/)
    expect((await vm.target.exec!('pgrep -x sleep || echo none')).stdout).toBe('none\n')
  })

  // Guards the hub's PINGs: without them QEMU 7.2's TCG slept through guest timer interrupts,
  // and an exec stalled until the next frame arrived, about once in a few hundred commands.
  it('answers a long run of commands without a stall', async () => {
    for (let i = 0; i < 300; i++) await vm.target.exec!('true', { timeout: 10_000 })
  }, 60_000)

  it('has zram swap when swap is set', async () => {
    expect(await readText(vm.target, 'cmdline')).toContain('pb.swap=256M')
    expect(await vm.target.exec!('cat /proc/swaps')).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^\/dev\/zram0\s+partition\s+262140\b/m) })
  })

  it('serves other processes through the broker', async () => {
    const target = await connectVm(vm.socketPath)
    expect(target.description).toBe(vm.target.description)
    const [a, b] = await Promise.all([target.exec!('echo broker'), vm.target.exec!('echo local')])
    expect([a.stdout, b.stdout]).toEqual(['broker\n', 'local\n'])
    await target.close()
  })

  it('measures boot, exec round trips and read throughput', async () => {
    const execStart = performance.now()
    for (let i = 0; i < 50; i++) await vm.target.exec!('true')
    const execMs = (performance.now() - execStart) / 50

    // 256 MiB of tmpfs pages make page_owner big enough (~25 MB) for a throughput figure.
    await vm.target.exec!('dd if=/dev/zero of=/tmpfs/fill bs=1M count=256 2>/dev/null')
    const readStart = performance.now()
    let bytes = 0
    for await (const chunk of vm.target.read('page_owner')) bytes += chunk.length
    const pageOwnerSeconds = (performance.now() - readStart) / 1000
    await vm.target.exec!('rm /tmpfs/fill')

    const handlesStart = performance.now()
    for (let i = 0; i < 20; i++) await readText(vm.target, 'show_handles')
    const handlesMs = (performance.now() - handlesStart) / 20

    console.log(
      [
        `boot to HELLO ${Math.round(vm.bootMs)} ms (${vm.accel})`,
        `exec round trip ${execMs.toFixed(1)} ms (50 x true)`,
        `page_owner ${(bytes / 1e6).toFixed(1)} MB in ${pageOwnerSeconds.toFixed(2)} s = ${(bytes / 1e6 / pageOwnerSeconds).toFixed(1)} MB/s`,
        `show_handles ${handlesMs.toFixed(1)} ms per read`,
      ].join('\n'),
    )
    expect(bytes).toBeGreaterThan(10e6)
  }, 120_000)

  it('boots without page_owner when asked: the page_owner files are absent', async () => {
    const target = await connectVm(other.socketPath)
    expect(target.description).toMatch(/\((tcg|kvm), 512 MiB\)$/)
    for (const file of ['show_handles', 'show_stacks_handles', 'page_owner'] as const) expect(await target.exists(file)).toBe(false)
    expect(await target.exists('version')).toBe(true)
    expect(await readText(target, 'cmdline')).not.toContain('page_owner=on')
    await target.close()
  })

  it('powers the VM off when the process that booted it is SIGKILLed', async () => {
    child!.kill('SIGKILL')
    await child
    await expect.poll(() => running(other.pid), { timeout: 20_000, interval: 100 }).toBe(false)
  }, 30_000)

  // Last: it ends the main VM.
  it('fails open requests with VmError when QEMU is killed, and leaves no QEMU behind', async () => {
    const pending = vm.target.exec!('sleep 100')
    await new Promise((resolve) => setTimeout(resolve, 300))
    process.kill(vm.pid, 'SIGKILL')
    const error = await pending.then(() => undefined, (failure: unknown) => failure)
    expect(error).toBeInstanceOf(VmError)
    expect((error as VmError).message).toMatch(/the VM exited \(killed by SIGKILL\)/)
    expect((error as VmError).message).toMatch(/console \(end of/)
    await expect(vm.target.exec!('true')).rejects.toBeInstanceOf(VmError)
    const left = await execa('pgrep', ['-f', dirname(vm.socketPath)], { reject: false })
    expect(left.stdout).toBe('')
  })
})
