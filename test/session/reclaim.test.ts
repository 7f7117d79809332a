import { describe, expect, it } from 'vitest'
import { FileMissingError, ReclaimError, TargetError } from '../../src/errors.js'
import { reclaim } from '../../src/session/reclaim.js'
import type { KernelFile, Target } from '../../src/target/types.js'
import { rejection } from '../helpers.js'

const PAGE = 4096
const MiB = (n: number) => ({ pages: (n << 20) / PAGE, bytes: n << 20 })

/**
 * A kernel with `swapKiB` of swap whose memory.reclaim moves `moves` pages to swap per write,
 * or fails the write with `fails`; it records what was written.
 */
function kernel(options: { swapKiB?: number; moves?: number; fails?: Error; reclaimFile?: boolean; writable?: boolean; vmEvents?: boolean }) {
  const { swapKiB = 524288, moves = 0, reclaimFile = true, writable = true, vmEvents = true } = options
  let swappedOut = 100
  const written: string[] = []
  const files: Partial<Record<KernelFile, () => string>> = {
    meminfo: () => `MemTotal:         640000 kB\nSwapTotal:       ${swapKiB} kB\nSwapFree:        ${Math.max(0, swapKiB - (swappedOut * PAGE) / 1024)} kB\n`,
    // Half the pages zero-filled: 6.12+ counts those apart, as swpout_zero.
    // Without CONFIG_VM_EVENT_COUNTERS (6.12's tinyconfig) only the page counts are listed.
    vmstat: () => `nr_swapcached 0\n${vmEvents ? `pgpgin 1\npswpin 0\npswpout ${Math.ceil(swappedOut / 2)}\nswpout_zero ${Math.floor(swappedOut / 2)}\n` : ''}`,
  }
  const target: Target = {
    description: 'fake kernel',
    read: (file) => {
      const text = files[file]
      if (!text) throw new FileMissingError(file)
      return [text()]
    },
    exists: async (file) => file !== 'memory_reclaim' || reclaimFile,
    ...(writable && {
      write: async (file: KernelFile, text: string) => {
        expect(file).toBe('memory_reclaim')
        written.push(text)
        swappedOut += moves
        if (options.fails) throw options.fails
      },
    }),
    close: async () => {},
  }
  return { target, written }
}

describe('reclaim', () => {
  it('writes the amount in bytes and counts what went to swap from the kernel counters', async () => {
    const { target, written } = kernel({ moves: 51200 })
    expect(await reclaim(target, MiB(200), PAGE)).toEqual({ requested: 51200, swappedOut: 51200, inSwap: 51300, complete: true })
    expect(written).toEqual([String(200 << 20)])
  })
  it('passes swappiness on', async () => {
    const { target, written } = kernel({ moves: 1 })
    await reclaim(target, MiB(1), PAGE, { swappiness: 200 })
    expect(written).toEqual([`${1 << 20} swappiness=200`])
  })
  it('reports a reclaim the kernel gave up on (EAGAIN) as incomplete, with what did move', async () => {
    const { target } = kernel({ moves: 10, fails: new TargetError('write /sys/fs/cgroup/memory.reclaim: Resource temporarily unavailable') })
    expect(await reclaim(target, MiB(200), PAGE)).toMatchObject({ swappedOut: 10, complete: false })
  })
  it('passes any other write error on', async () => {
    const { target } = kernel({ fails: new TargetError('write /sys/fs/cgroup/memory.reclaim: Invalid argument') })
    await expect(reclaim(target, MiB(1), PAGE)).rejects.toThrow(/Invalid argument/)
  })
  it.each([
    ['no-memory-reclaim', { reclaimFile: false }, /memory\.reclaim does not exist[\s\S]*hint: proactive reclaim needs Linux 5\.19/],
    ['no-swap', { swapKiB: 0 }, /has no swap[\s\S]*hint: add swap/],
    // No swap is what to fix first, with or without the counters (the kernel-6.12 project's VM).
    ['no-swap', { swapKiB: 0, vmEvents: false }, /has no swap[\s\S]*hint: add swap/],
    ['no-vm-events', { vmEvents: false }, /\/proc\/vmstat has no pswpout[\s\S]*without CONFIG_VM_EVENT_COUNTERS\n {2}hint: build the kernel with CONFIG_VM_EVENT_COUNTERS=y/],
    ['read-only-target', { writable: false }, /cannot write memory\.reclaim/],
  ] as const)('names what is missing: %s', async (reason, options, message) => {
    const error = await rejection(reclaim(kernel(options).target, MiB(1), PAGE))
    expect(error).toBeInstanceOf(ReclaimError)
    expect(error).toMatchObject({ reason, code: 'E_RECLAIM' })
    expect(error.message).toMatch(message)
  })
})
