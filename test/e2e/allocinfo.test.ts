import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import '../../src/vitest/expect.js'
import { findBuiltKernel } from '../../src/kernel-build/cache.js'
import { Session } from '../../src/session/session.js'
import { startVm, type QemuVm } from '../../src/target/qemu/vm.js'
import { measured } from './measured.js'
import { failure, tempDir } from '../helpers.js'

const kernel = findBuiltKernel()
const hasQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0

/**
 * Call-site budgets on the real test kernel (CONFIG_MEM_ALLOC_PROFILING, on from boot): slab
 * objects that page_owner sees only as the slab pages they happen to land on.
 *
 * On a VM of this file's own, not the kernel project's shared one: allocinfo counts every
 * allocation at a call site, whoever made it, so the other files' workloads there (their files
 * in tmpfs: shmem inodes, dentries, shmem folios) would land on the very sites measured here.
 */
const FILES = 50_000
const dentries = { sites: ['fs/dcache.c:*'] }
const inodes = { sites: ['mm/shmem.c:*'] }
const makeFiles = `mkdir /tmpfs/many && cd /tmpfs/many && seq 1 ${FILES} | xargs touch`

let vm: QemuVm
let session: Session

// Under CI a missing kernel or QEMU fails this file instead of skipping it.
describe.skipIf(!(kernel && hasQemu) && !process.env.CI)('call-site budgets from /proc/allocinfo', () => {
  beforeAll(async () => {
    vm = await startVm({ kind: 'qemu', kernel })
    session = await Session.open(vm.target, { cacheDir: tempDir() })
  })
  afterAll(() => vm?.stop())

  it('the test kernel counts allocations by call site', () => {
    expect(session.capabilities.allocinfo).toBe('available')
  })

  it('50,000 empty files in tmpfs: a dentry and an inode each, budgeted at their call sites', { timeout: 300_000 }, () => measured(session, async (pageOwner) => {
    await pageOwner.exec(makeFiles, { timeout: 300_000 })
    try {
      // One __d_alloc per name and one shmem inode per file, the directory's own included. A
      // few more may come from what else the guest looks up meanwhile: they land on the same
      // call sites (as dentries of /proc or of the shell's lookups), hence the 100 calls above.
      await expect(pageOwner).toAllocateAtLeast(`${FILES * 192} B`, { ...dentries, calls: { min: FILES + 1, max: FILES + 100 } })
      await expect(pageOwner).toAllocateAtLeast(`${FILES * 640} B`, { ...inodes, calls: { min: FILES + 1, max: FILES + 100 } })
      // Each call is one object of its cache: a dentry is 192 bytes on x86-64 (names this short
      // sit inside it), a shmem inode 640.
      const [dcache, shmem] = [await pageOwner.delta(dentries), await pageOwner.delta(inodes)]
      expect(dcache.bytes).toBe(dcache.calls * 192)
      expect(shmem.bytes).toBe(shmem.calls * 640)
      await expect(pageOwner).toAllocateAtMost('64 MiB', { sites: ['fs/dcache.c:*', 'mm/shmem.c:*'] })
      await expect(pageOwner).not.toAllocateAtMost('1 MiB', dentries)
      await expect(pageOwner).not.toAllocateAtLeast('1 MiB', { ...dentries, calls: FILES * 2 })

      const message = await failure(expect(pageOwner).toAllocateAtMost('1 MiB', dentries))
      expect(message).toMatch(/^Sites: {4}fs\/dcache\.c:\*$/m)
      expect(message).toMatch(/^Received: 9\.1\d MiB in 500\d\d calls, 8\.1\d MiB over$/m)
      // The top site is the dentry allocation itself, with one call per file.
      expect(message).toMatch(/^Top call sites \(\d+ of \d+ selected that changed\):\n {2}fs\/dcache\.c:\d+ func:__d_alloc: \+9\.1\d MiB in \+500\d\d calls/m)
      expect(await failure(expect(pageOwner).not.toAllocateAtLeast('1 MiB', inodes))).toMatch(/func:shmem_alloc_inode: \+30\.5\d MiB in \+500\d\d calls/)
    } finally {
      await pageOwner.exec('rm -rf /tmpfs/many')
    }
    // rmdir prunes the directory's dentries and evicts every inode; both are freed after an RCU
    // grace period (d_free and the inode's i_callback go through call_rcu): wait for it. The
    // inodes all go. A few dentries may stay: the dcache keeps unused dentries of whatever else
    // the guest looked up meanwhile until memory runs short (3 in one run, none in another), so
    // up to 8 dentries' worth.
    await expect(pageOwner).toFreeAll({ ...inodes, settle: 10_000 })
    await expect(pageOwner).toFreeAll({ ...dentries, tolerance: `${8 * 192} B`, calls: 8, settle: 10_000 })
  }))

  it('held out: a budget on a call site the workload never reaches stays at 0', { timeout: 300_000 }, () => measured(session, async (pageOwner) => {
    await pageOwner.exec(makeFiles, { timeout: 300_000 })
    try {
      // ext4 is built in but nothing in the guest mounts it here.
      await expect(pageOwner).toAllocateAtMost(0, { sites: ['fs/ext4/*'], calls: 0 })
      await expect(pageOwner).not.toAllocateAtLeast(1, { sites: ['fs/ext4/*'] })
      expect(await failure(expect(pageOwner).not.toAllocateAtMost(0, { sites: ['fs/ext4/*'] }))).toContain('No selected call site changed.')
    } finally {
      await pageOwner.exec('rm -rf /tmpfs/many')
    }
  }))

  it("on dd to tmpfs, page_owner's stack and allocinfo's call site count the file's pages alike", () => measured(session, async (pageOwner) => {
    await pageOwner.exec('dd if=/dev/zero of=/tmpfs/file bs=1M count=256 status=none')
    try {
      const stack = await pageOwner.delta({ frames: ['shmem_*', 'vfs_write', '!kmem_cache_*'] })
      const site = await pageOwner.delta({ sites: ['func:shmem_alloc_folio'] })
      // One folio allocation serves both: page_owner records its stack, alloc_hooks charges the
      // tag at shmem_alloc_folio's call; both drop at the folio's free. tmpfs here has no huge
      // pages, so each is an order-0 folio: one call per page. The xarray's nodes are other
      // objects at another site (lib/xarray.c), kept out of both.
      expect(stack.pages).toBeGreaterThanOrEqual(65536)
      expect(site.bytes).toBe(stack.bytes)
      expect(site.calls).toBe(stack.pages)
    } finally {
      await pageOwner.exec('rm /tmpfs/file')
    }
  }))
})
