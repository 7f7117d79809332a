import { ParseError, ReclaimError } from '../errors.js'
import { readText } from '../target/read.js'
import type { Target } from '../target/types.js'
import type { Amount } from '../amount.js'

export interface ReclaimOptions {
  /**
   * The kernel's swappiness for this reclaim (0 to 200; Linux 6.11 and later): higher prefers
   * anonymous and tmpfs pages, which go to swap, over page cache, which is dropped.
   */
  swappiness?: number
}

export interface ReclaimResult {
  /** What was asked for, in pages. */
  requested: number
  /**
   * Pages swapped out during the reclaim: `pswpout` in /proc/vmstat, plus `swpout_zero` (6.12+),
   * the zero-filled pages the kernel marks in swap without writing them.
   */
  swappedOut: number
  /** Pages in swap afterwards (SwapTotal - SwapFree in /proc/meminfo). */
  inSwap: number
  /**
   * False when the kernel reclaimed less than asked (memory.reclaim answers EAGAIN): the rest
   * was in use, unevictable, or had nowhere to go.
   */
  complete: boolean
}

/**
 * Proactive reclaim through cgroup v2's `memory.reclaim` in the root cgroup: the kernel reclaims
 * about `amount` from the LRU lists as it would under pressure, but at once and without the OOM
 * killer, so swap tests move pages deterministically. Counts what went to swap from the
 * kernel's own counters, read before and after.
 */
export async function reclaim(target: Target, amount: Amount, pageSize: number, options: ReclaimOptions = {}): Promise<ReclaimResult> {
  if (!target.write) {
    throw new ReclaimError('read-only-target', `${target.description} cannot write memory.reclaim`, 'use a target that writes kernel files: local (as root), command or qemu')
  }
  if (!(await target.exists('memory_reclaim'))) {
    throw new ReclaimError('no-memory-reclaim', `${target.locate?.('memory_reclaim') ?? 'memory.reclaim'} does not exist`, 'proactive reclaim needs Linux 5.19 or later with CONFIG_MEMCG and cgroup v2 mounted at /sys/fs/cgroup (mount -t cgroup2 none /sys/fs/cgroup)')
  }
  const before = await swapState(target, pageSize)
  const bytes = Math.ceil(amount.pages) * pageSize
  const request = options.swappiness === undefined ? String(bytes) : `${bytes} swappiness=${options.swappiness}`
  let complete = true
  try {
    await target.write('memory_reclaim', request)
  } catch (error) {
    // EAGAIN: the kernel gave up before reaching the amount. Every target passes on strerror's words.
    if (!(error instanceof Error && /temporarily unavailable|EAGAIN/i.test(error.message))) throw error
    complete = false
  }
  const after = await swapState(target, pageSize)
  return { requested: Math.ceil(amount.pages), swappedOut: after.swappedOut - before.swappedOut, inSwap: after.total - after.free, complete }
}

/** Swap size and use from /proc/meminfo (kB), and pages swapped out so far from /proc/vmstat. */
async function swapState(target: Target, pageSize: number): Promise<{ total: number; free: number; swappedOut: number }> {
  const [meminfo, vmstat] = await Promise.all([readText(target, 'meminfo'), readText(target, 'vmstat')])
  const kib = (name: string) => {
    const found = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(meminfo)
    if (!found) throw new ParseError('/proc/meminfo', 0, '', `no line matches ${name}: (a kernel without CONFIG_SWAP has none)`)
    return (Number(found[1]) * 1024) / pageSize
  }
  const total = kib('SwapTotal')
  if (total === 0) {
    throw new ReclaimError('no-swap', `${target.description} has no swap: reclaim would only drop page cache`, "add swap (the qemu target's swap option, e.g. { kind: 'qemu', swap: '512M' }) before pushing pages out")
  }
  const out = /^pswpout (\d+)$/m.exec(vmstat)
  if (!out) {
    // tinyconfig's EXPERT lets VM_EVENT_COUNTERS go (6.12 builds it off; later kernels select it with MEMCG).
    throw new ReclaimError('no-vm-events', `${target.description}: /proc/vmstat has no pswpout, so what went to swap cannot be counted: the kernel was built without CONFIG_VM_EVENT_COUNTERS`, 'build the kernel with CONFIG_VM_EVENT_COUNTERS=y (page-budget kernel build --enable CONFIG_VM_EVENT_COUNTERS)')
  }
  const zero = /^swpout_zero (\d+)$/m.exec(vmstat)
  return { total, free: kib('SwapFree'), swappedOut: Number(out[1]) + Number(zero?.[1] ?? 0) }
}
