// Records real debugfs files from the QEMU test kernel into test/fixtures/, for unit tests
// that replay them (npm run build first). Two scenarios, as in the seed:
//   qemu-dd:   before / after `dd` of 256 MiB to /tmpfs / freed after `rm`
//   qemu-swap: written (after dd, 640 MiB guest with zram) / swapped (after pressure from
//              /tmpfs-noswap and `cat` reading the file back): ownership lost on a stock kernel
//   qemu-allocinfo: /proc/allocinfo with show_handles before / after 50,000 empty files in tmpfs
//              (a dentry and an inode each) / after dd of 256 MiB to tmpfs, for call-site budgets
//   qemu-swap-page-owner: the kernel with page-budget's swap patches, booted page_owner=on,swap:
//              written (after dd) / swapped (proactive reclaim pushed the file to zram) / after
//              (the first half read back, the rest still in swap)
//   qemu-swap-page-owner-off: the same kernel booted page_owner=on only: / after (all read back)
//   qemu-dd-6.12, qemu-dd-6.1: qemu-dd on Debian's older lines, each step with the sample file
//              that kernel has (6.12: show_stacks; 6.1: only the per-page page_owner)
// Run: node scripts/capture.mjs [scenario...] (all of them when none is named)
import { mkdirSync, writeFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { startVm } from '../dist/target/qemu/vm.js'

async function readAll(target, file) {
  const chunks = []
  for await (const chunk of target.read(file)) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks)
}

/**
 * Boots a VM, runs each step's command, and saves the step's files: the sample files (the
 * kernel's cheapest sample path, show_handles from 6.19 on) and the step's extra ones.
 */
async function capture(name, options, steps, { sample = ['show_handles'], stacks = ['show_stacks_handles'] } = {}) {
  const vm = await startVm({ kind: 'qemu', ...options })
  try {
    const target = vm.target
    const dir = new URL(`../test/fixtures/linux-${vm.kernelRelease}-${name}/`, import.meta.url)
    mkdirSync(dir, { recursive: true })
    const save = async (file, as, gzip = false) => {
      const data = await readAll(target, file)
      writeFileSync(new URL(as + (gzip ? '.gz' : ''), dir), gzip ? gzipSync(data) : data)
    }
    // count_threshold came with show_stacks (6.9): an older kernel's recording has none.
    for (const file of ['boot_id', 'version', 'count_threshold', 'cmdline']) if (await target.exists(file)) await save(file, file)
    for (const [step, command, extra] of steps) {
      if (command) {
        const result = await target.exec(command, { timeout: 600_000 })
        if (result.exitCode !== 0) throw new Error(`${command}: ${result.stderr}`)
      }
      for (const file of [...sample, ...extra]) await save(file, `${step}.${file}`, file === 'page_owner' || file === 'swap_page_owner')
    }
    for (const file of stacks) await save(file, file)
    console.log(`recorded ${new URL(dir).pathname}`)
  } finally {
    await vm.stop()
  }
}

const wanted = (name) => process.argv.length <= 2 || process.argv.slice(2).includes(name)

if (wanted('qemu-dd')) await capture('qemu-dd', {}, [
  ['before', undefined, []],
  ['after', 'dd if=/dev/zero of=/tmpfs/file bs=1M count=256 status=none', ['show_stacks', 'page_owner']],
  ['freed', 'rm /tmpfs/file', []],
])
if (wanted('qemu-swap')) await capture('qemu-swap', { memory: 640, swap: '512M' }, [
  ['before', undefined, []],
  ['written', 'dd if=/dev/zero of=/tmpfs/file bs=1M count=256 status=none', ['page_owner']],
  ['swapped', 'head -c $((384 << 20)) /dev/zero > /tmpfs-noswap/f && rm /tmpfs-noswap/f && cat /tmpfs/file > /dev/null', ['page_owner']],
])
if (wanted('qemu-allocinfo')) await capture('qemu-allocinfo', {}, [
  ['before', undefined, ['allocinfo', 'mem_profiling']],
  ['files', 'mkdir /tmpfs/many && cd /tmpfs/many && seq 1 50000 | xargs touch', ['allocinfo']],
  ['dd', 'dd if=/dev/zero of=/tmpfs/file bs=1M count=256 status=none', ['allocinfo']],
])

// Proactive reclaim, as pageOwner.reclaim() does: 320 MiB is more than the guest can give, so the
// write reports EAGAIN after pushing out all it could, the whole file included.
const reclaim = 'echo 320M > /sys/fs/cgroup/memory.reclaim || true'
const swapFiles = ['page_owner', 'swap_page_owner']
if (wanted('qemu-swap-page-owner')) await capture('qemu-swap-page-owner', { memory: 640, swap: '512M', swapPageOwner: true }, [
  ['before', undefined, ['swap_page_owner']],
  ['written', 'dd if=/dev/zero of=/tmpfs/file bs=1M count=256 status=none', swapFiles],
  ['swapped', reclaim, swapFiles],
  ['after', 'head -c $((128 << 20)) /tmpfs/file > /dev/null', swapFiles],
])
if (wanted('qemu-swap-page-owner-off')) {
  const { findBuiltKernel } = await import('../dist/kernel-build/cache.js')
  await capture('qemu-swap-page-owner-off', { memory: 640, swap: '512M', kernel: findBuiltKernel(undefined, { swapPageOwner: true }) }, [
    ['before', undefined, []],
    ['written', 'dd if=/dev/zero of=/tmpfs/file bs=1M count=256 status=none', ['page_owner']],
    ['after', `${reclaim}; cat /tmpfs/file > /dev/null`, ['page_owner']],
  ])
}

// The seed's dd on Debian's older lines (npm test's setup builds both kernels).
const older = { '6.12': ['show_stacks'], '6.1': ['page_owner'] }
for (const [version, sample] of Object.entries(older)) {
  if (!wanted(`qemu-dd-${version}`)) continue
  const { findBuiltKernel } = await import('../dist/kernel-build/cache.js')
  // Never the default kernel in its place: the recording would be filed under its release.
  const kernel = findBuiltKernel(undefined, { version })
  if (!kernel) throw new Error(`qemu-dd-${version}: no ${version} kernel is built; run: page-budget kernel build --version ${version}`)
  await capture('qemu-dd', { kernel }, [
    ['before', undefined, []],
    ['after', 'dd if=/dev/zero of=/tmpfs/file bs=1M count=256 status=none', sample.includes('page_owner') ? [] : ['page_owner']],
    ['freed', 'rm /tmpfs/file', []],
  ], { sample, stacks: [] })
}
