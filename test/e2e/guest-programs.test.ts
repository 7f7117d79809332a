import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import '../../src/vitest/expect.js'
import { UsageError, VmError } from '../../src/errors.js'
import { findBuiltKernel } from '../../src/kernel-build/build.js'
import type { Measurement } from '../../src/session/measurement.js'
import { Session } from '../../src/session/session.js'
import { QEMU } from '../../src/target/qemu/qemu.js'
import { startVm, type QemuOptions, type QemuVm } from '../../src/target/qemu/vm.js'
import { measured } from './measured.js'
import { failure, rejection, tempDir } from '../helpers.js'

/**
 * The user's programs and file systems in the guest, on the real test kernel: a C program built
 * on the host during the test and run from a 9p share, its 64 MiB of anonymous memory budgeted
 * on the anonymous-fault stack (both directions); dynamically linked host programs through the
 * host-root share; a file on an ext4 disk budgeted on ext4's page-cache stack and freed by rm;
 * and a share the guest cannot mount failing the boot by name. Skipped without a kernel, QEMU
 * or gcc, except under CI=true, where the missing piece fails the run.
 */
const kernel = process.env.PAGE_BUDGET_KERNEL ?? findBuiltKernel()
const hasQemu = (await execa(QEMU, ['--version'], { reject: false })).exitCode === 0
const HOG = fileURLToPath(new URL('../../examples/shared-binary/hog.c', import.meta.url))

/**
 * The anonymous-fault stack on this kernel: do_anonymous_page is inlined into __handle_mm_fault,
 * which allocates through folio_prealloc; a copy-on-write fault (do_wp_page) takes the same
 * allocator and is left out.
 */
const anonFaults = { frames: ['folio_prealloc', '__handle_mm_fault', 'exc_page_fault', '!do_wp_page'] }
/** The pages of a file written to ext4 (its page cache, allocated on the write path), not the slab pages of its xarray. */
const ext4Writes = { frames: ['ext4_*write_begin', 'vfs_write', '!kmem_cache_*'] }

/**
 * The top stack of a failed anonymous budget: 64 MiB through the fault path. The stack is every
 * process's anonymous fault path, and its delta is net: the program's 16384 pages and its few
 * start-up faults, less what commands that exited meanwhile freed on it (seen: 16375 pages,
 * 63.96 MiB). So 16300-16499 pages, and the MiB that go with them.
 */
const ANON_STACK = /\nTop stacks .*\n  handle \d+: \+16[34]\d\d pages \(6[34](\.\d+)? MiB\) .*\n      …\n      folio_prealloc(\.constprop\.0)?\n      __handle_mm_fault\n      handle_mm_fault\n      exc_page_fault\n/

const vms: QemuVm[] = []
afterAll(async () => {
  await Promise.all(vms.map((vm) => vm.stop()))
})

async function boot(options: Omit<QemuOptions, 'kind'>): Promise<{ vm: QemuVm; session: Session }> {
  const vm = await startVm({ kind: 'qemu', kernel, ...options })
  vms.push(vm)
  return { vm, session: await Session.open(vm.target, { cacheDir: tempDir() }) }
}

/** Starts `command` (the hog) in the background in the guest, and returns its pid once it says it holds its memory. */
async function startHog(pageOwner: Measurement, command: string, cwd: string): Promise<number> {
  const { stdout } = await pageOwner.exec(
    `${command} > /tmp/hog.out 2>&1 & echo $!; until grep -q ready /tmp/hog.out; do kill -0 $! || { cat /tmp/hog.out; exit 1; }; sleep 0.1; done`,
    { cwd, timeout: 60_000 },
  )
  return Number(stdout.trim())
}

async function stopHog(pageOwner: Measurement, pid: number): Promise<void> {
  await pageOwner.exec(`kill ${pid}; while kill -0 ${pid} 2>/dev/null; do sleep 0.1; done`, { timeout: 30_000 })
}

describe.skipIf(!(kernel && hasQemu) && !process.env.CI)('the user\'s programs and file systems in the guest', () => {
  describe('a busybox guest with a share and an ext4 disk', () => {
    const bin = tempDir('page-budget-share-')
    const out = tempDir('page-budget-share-rw-')
    let vm: QemuVm
    let session: Session

    beforeAll(async () => {
      ;({ vm, session } = await boot({ share: [{ host: bin, guest: '/work/bin' }, { host: out, guest: '/work/out', readOnly: false }], disks: [{ size: '256M', fs: 'ext4', mount: '/mnt/ext4' }] }))
      console.log(`boot to HELLO with 2 shares and a 256 MiB ext4 disk: ${Math.round(vm.bootMs)} ms (${vm.accel})`)
    }, 300_000)

    it('runs a program compiled on the host after boot from the share, and budgets its anonymous memory', async () => {
      // Static: the busybox guest has no libc of its own. Compiled now, with the VM already up:
      // the share shows the host's files as they are.
      await execa('gcc', ['-static', '-O2', '-o', join(bin, 'hog'), HOG])
      await measured(session, async (pageOwner) => {
        const pid = await startHog(pageOwner, './hog 64', '/work/bin')
        try {
          await expect(pageOwner).toAllocateAtLeast('60 MiB', anonFaults)
          // The whole guest cannot have gained much more than the program's 64 MiB and its page tables.
          await expect(pageOwner).toAllocateAtMost('70 MiB', anonFaults)
          const message = await failure(expect(pageOwner).toAllocateAtMost('16 MiB', anonFaults))
          expect(message).toMatch(/^expect\(pageOwner\)\.toAllocateAtMost\('16 MiB'\)\n\nStacks:   folio_prealloc & __handle_mm_fault & exc_page_fault & !do_wp_page\nExpected: at most 4096 pages \(16 MiB\)\nReceived: \d+ pages \(6\d(\.\d+)? MiB\)/)
          // The program's 16384 pages and a few of its own start-up faults, on the anonymous-fault stack.
          expect(message).toMatch(ANON_STACK)
        } finally {
          await stopHog(pageOwner, pid)
        }
        // Its exit gave them back.
        await expect(pageOwner).toFreeAll({ ...anonFaults, tolerance: '1 MiB' })
      })
    })

    it('mounts read-only shares read-only, writes through to the host on a writable one, and runs commands from a directory', async () => {
      const ro = await session.target.exec!('echo x > /work/bin/new')
      expect(ro.exitCode).not.toBe(0)
      expect(ro.stderr).toMatch(/Read-only file system/)
      expect(existsSync(join(bin, 'new'))).toBe(false)
      expect(await session.target.exec!("pwd && echo 'from the guest' > note", { cwd: '/work/out' })).toMatchObject({ exitCode: 0, stdout: '/work/out\n' })
      expect(readFileSync(join(out, 'note'), 'utf8')).toBe('from the guest\n')
      expect(await session.target.exec!('echo ran', { cwd: '/work/missing' })).toMatchObject({ exitCode: 1, stdout: '', stderr: expect.stringMatching(/can't cd to \/work\/missing/) })
    })

    it('budgets a file written to the ext4 disk on ext4 stacks, and rm frees it', async () => {
      expect((await session.target.exec!('grep " /mnt/ext4 " /proc/mounts')).stdout).toMatch(/^\/dev\/vd[a-z] \/mnt\/ext4 ext4 rw/)
      await measured(session, async (pageOwner) => {
        await pageOwner.exec('dd if=/dev/zero of=/mnt/ext4/file bs=1M count=64 status=none')
        await expect(pageOwner).toAllocateBetween('64 MiB', '64 MiB', { ...ext4Writes, tolerance: '1%' })
        const message = await failure(expect(pageOwner).toAllocateAtMost('32 MiB', ext4Writes))
        expect(message).toMatch(/\n\s+ext4_(da_)?write_begin\n/)
        await pageOwner.exec('rm /mnt/ext4/file')
        await expect(pageOwner).toFreeAll(ext4Writes)
      })
    })
  })

  describe('a guest running in the host\'s root file system', () => {
    const work = tempDir('page-budget-hostroot-')
    let vm: QemuVm
    let session: Session

    beforeAll(async () => {
      ;({ vm, session } = await boot({ hostRoot: true, share: [{ host: work, guest: '/mnt/dyn', readOnly: false }] }))
      console.log(`boot to HELLO with the host root and a share: ${Math.round(vm.bootMs)} ms (${vm.accel})`)
    }, 300_000)

    it('runs dynamically linked host programs by their host paths, over the guest\'s kernel', async () => {
      const uname = await session.target.exec!('uname -r && readlink /bin/sh && cat /etc/os-release | head -1')
      expect(uname.stdout.split('\n')[0]).toBe(vm.kernelRelease)
      expect(uname.exitCode).toBe(0)
      // /usr/bin/env is dynamically linked on every distribution page-budget runs on; python3 where installed.
      expect(readFileSync('/usr/bin/env').includes('ld-linux')).toBe(true)
      expect(await session.target.exec!('/usr/bin/env -i A=b /usr/bin/env')).toMatchObject({ exitCode: 0, stdout: 'A=b\n' })
      if (existsSync('/usr/bin/python3')) {
        expect(await session.target.exec!("/usr/bin/python3 -c 'import os; print(os.uname().release)'")).toMatchObject({ exitCode: 0, stdout: `${vm.kernelRelease}\n` })
      }
      // The guest's own mounts inside it: /proc is the guest's, /tmp and the tmpfs mounts writable, the host's files not.
      expect((await session.target.exec!('cat /proc/sys/kernel/random/boot_id')).stdout.trim()).toBe(vm.bootId)
      expect(await session.target.exec!('echo ok > /tmp/t && echo ok > /tmpfs/t && cat /tmp/t /tmpfs/t')).toMatchObject({ exitCode: 0, stdout: 'ok\nok\n' })
      expect((await session.target.exec!('touch /usr/page-budget-was-here')).stderr).toMatch(/Read-only file system/)
    })

    it('runs a program linked against the host\'s libc from a share, and budgets its anonymous memory', async () => {
      const hog = join(work, 'hog')
      await execa('gcc', ['-O2', '-o', hog, HOG])
      expect(readFileSync(hog).includes('ld-linux')).toBe(true)
      await measured(session, async (pageOwner) => {
        const pid = await startHog(pageOwner, './hog 64', '/mnt/dyn')
        try {
          await expect(pageOwner).toAllocateAtLeast('60 MiB', anonFaults)
          expect(await failure(expect(pageOwner).toAllocateAtMost('16 MiB', anonFaults))).toMatch(ANON_STACK)
        } finally {
          await stopHog(pageOwner, pid)
        }
      })
    })
  })

  describe('a share or disk the guest cannot set up', () => {
    it('fails the boot with the init\'s reason and fix, and never hangs', async () => {
      const started = Date.now()
      // A tag no QEMU device carries: what a kernel without virtio-9p, or a mistyped tag, looks like from init.
      const error = await rejection(startVm({ kind: 'qemu', kernel, memory: 256, cpus: 1, append: 'pb.share=pbnothing:/work/x:ro' }))
      expect(error).toBeInstanceOf(VmError)
      expect(error.message).toMatch(/^the guest init failed: mount 9p share pbnothing at \/work\/x failed \(QEMU exited: [^)]+\)\n/)
      expect(error.message).toMatch(/\n  hint: no virtio 9p device with that tag: boot a kernel with CONFIG_NET=y CONFIG_NET_9P=y/)
      expect(Date.now() - started).toBeLessThan(120_000)
    }, 180_000)

    it('refuses a missing host directory before QEMU starts', async () => {
      const error = await rejection(startVm({ kind: 'qemu', kernel, share: [{ host: '/nonexistent/page-budget', guest: '/work/x' }] }))
      expect(error).toBeInstanceOf(UsageError)
      expect(error.message).toMatch(/^share\[0\]\.host: \/nonexistent\/page-budget does not exist on the host/)
    })
  })
})
