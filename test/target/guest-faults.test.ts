import { appendFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExecError, GuestKernelError, OomKilledError } from '../../src/errors.js'
import { explainKill } from '../../src/target/oom.js'
import { findFault, vmFailure, watchConsole } from '../../src/target/qemu/console.js'
import type { ExecResult, Target } from '../../src/target/types.js'
import { tempDir } from '../helpers.js'

/** An OOM report as the 7.2.13 test kernel prints it (trimmed), killing awk at 41.9 s. */
const OOM_LOG = `[   12.000000] random: crng init done
[   41.801234] awk invoked oom-killer: gfp_mask=0x140dca(GFP_HIGHUSER_MOVABLE|__GFP_ZERO), order=0, oom_score_adj=0
[   41.801300] CPU: 1 UID: 0 PID: 97 Comm: awk Not tainted 7.2.13 #1
[   41.801400] Mem-Info:
[   41.801500] active_anon:55211 inactive_anon:2 isolated_anon:0
[   41.801600] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),task=awk,pid=97,uid=0
[   41.901234] Out of memory: Killed process 97 (awk) total-vm:221460kB, anon-rss:220844kB, file-rss:4kB, shmem-rss:0kB, UID:0 pgtables:472kB oom_score_adj:0`

const killed: ExecResult = { exitCode: 137, stdout: '', stderr: '' }

/** A target whose only command prints `uptime` and `log`, as `cat /proc/uptime && dmesg` would. */
function logTarget(uptime: number, log: string): Target {
  return {
    description: 'fake',
    read: () => [],
    exists: async () => true,
    exec: async () => ({ exitCode: 0, stdout: `${uptime.toFixed(2)} 80.00\n${log}\n`, stderr: '' }),
    close: async () => {},
  }
}

describe('explainKill', () => {
  it('names the victim of an OOM kill during the command, and what it held', async () => {
    const error = await explainKill(logTarget(43, OOM_LOG), "awk 'BEGIN { while (1) a[i++] = i }'", killed, 5000)
    expect(error).toBeInstanceOf(OomKilledError)
    expect(error).toBeInstanceOf(ExecError)
    expect(error!.code).toBe('E_OOM')
    expect(error!.victim).toEqual({ pid: 97, comm: 'awk', anonRssKiB: 220844, fileRssKiB: 4, shmemRssKiB: 0 })
    expect(error!.exitCode).toBe(137)
    expect(error!.signal).toBe('SIGKILL')
    expect(error!.message).toMatchInlineSnapshot(`
      "the guest's OOM killer ended awk (pid 97), which held anon 216 MiB, file 0 MiB, shmem 0 MiB: awk 'BEGIN { while (1) a[i++] = i }'
        > [   41.801234] awk invoked oom-killer: gfp_mask=0x140dca(GFP_HIGHUSER_MOVABLE|__GFP_ZERO), order=0, oom_score_adj=0
        > [   41.801500] active_anon:55211 inactive_anon:2 isolated_anon:0
        > [   41.901234] Out of memory: Killed process 97 (awk) total-vm:221460kB, anon-rss:220844kB, file-rss:4kB, shmem-rss:0kB, UID:0 pgtables:472kB oom_score_adj:0
        hint: the workload needs more memory than the guest has: give the VM more (the qemu target's memory option), write less, or push pages to swap with pageOwner.reclaim() instead of filling memory"
    `)
  })
  it('does not blame a command for a kill before it began', async () => {
    // The command ran for the last 2 s of a 100 s uptime; the kill was at 41.9 s.
    expect(await explainKill(logTarget(100, OOM_LOG), 'sleep 2', killed, 2000)).toBeUndefined()
  })
  it('leaves other endings alone: a plain SIGKILL, or another exit code', async () => {
    expect(await explainKill(logTarget(43, 'nothing here'), 'x', killed, 5000)).toBeUndefined()
    expect(await explainKill(logTarget(43, OOM_LOG), 'x', { ...killed, exitCode: 1 }, 5000)).toBeUndefined()
  })
  it("reads the QEMU guest's console instead of starting dmesg, waiting for it to catch up", async () => {
    let log = OOM_LOG.split('\n').slice(0, -1).join('\n')
    const target: Target = {
      description: 'qemu',
      read: (file) => (file === 'uptime' ? ['43.00 80.00\n'] : []),
      exists: async () => true,
      kernelLog: async () => log,
      exec: async () => {
        throw new Error('a guest out of memory cannot start dmesg')
      },
      close: async () => {},
    }
    // The console gets the kill line a moment after the agent reported the exit.
    setTimeout(() => (log = OOM_LOG), 300)
    expect((await explainKill(target, 'x', killed, 5000))?.victim.comm).toBe('awk')
  })
  it('reads kernels without printk time stamps', async () => {
    const bare = OOM_LOG.replace(/^\[[^\]]*\] /gm, '')
    expect((await explainKill(logTarget(43, bare), 'x', killed, 5000))?.victim.comm).toBe('awk')
  })
})

describe('ExecError', () => {
  it('carries the exit code, the output and the tail of stderr', () => {
    const stderr = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n')
    const error = new ExecError('make -j2', { exitCode: 2, stdout: 'out', stderr })
    expect(error).toMatchObject({ code: 'E_EXEC', command: 'make -j2', exitCode: 2, signal: undefined, stdout: 'out', stderr })
    expect(error.message).toContain('command exited with 2: make -j2\n  | line 21\n')
    expect(error.message).not.toContain('line 20\n')
  })
})

const PANIC = `[    5.100000] sysrq: Trigger a crash
[    5.100100] Kernel panic - not syncing: sysrq triggered crash
[    5.100200] CPU: 0 UID: 0 PID: 88 Comm: sh Not tainted 7.2.13 #1
[    5.100300] Call Trace:
[    5.100400]  <TASK>
[    5.100500]  panic+0x10b/0x2c0`

const NULL_DEREF = `[    9.000000] BUG: kernel NULL pointer dereference, address: 0000000000000000
[    9.000100] #PF: supervisor write access in kernel mode
[    9.000200] Oops: 0002 [#1] SMP
[    9.000300] RIP: 0010:my_feature_write+0x12/0x40`

describe('kernel faults on the console', () => {
  it('finds the first fault report and names its kind', () => {
    expect(findFault(`[    1.0] Linux version 7.2.13\n${PANIC}`)).toEqual({ kind: 'panic', report: PANIC.split('\n').slice(1).map((line) => line.replace(/^\[[^\]]*\] /, '')).join('\n') })
    expect(findFault(NULL_DEREF)?.kind).toBe('bug')
    // A deadlock after an OOM kill: the kill comes first, since it names what filled memory.
    const deadlock = findFault(`${OOM_LOG}\n[   41.95] Kernel panic - not syncing: System is deadlocked on memory`)
    expect(deadlock?.report).toMatch(/^Out of memory: Killed process 97 \(awk\).*\nKernel panic - not syncing: System is deadlocked on memory$/)
    expect(findFault('[ 1.0] Oops: general protection fault, probably for non-canonical address')?.kind).toBe('oops')
    expect(findFault('[   30.0] watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [dd:90]')?.kind).toBe('soft-lockup')
    expect(findFault('[  130.0] INFO: task dd:90 blocked for more than 120 seconds.')?.kind).toBe('hung-task')
    expect(findFault('[    1.0] Run /init as init process\npage-budget init: mount /proc')).toBeUndefined()
  })
  it('turns a console that ends in a panic into a GuestKernelError', async () => {
    const log = join(tempDir(), 'console.log')
    writeFileSync(log, `${PANIC}\n`)
    const error = await vmFailure('the VM exited (exit code 0): qemu 7.2.13', { consoleLog: log, stderr: '' })
    expect(error).toBeInstanceOf(GuestKernelError)
    expect(error).toMatchObject({ kind: 'panic', code: 'E_GUEST_KERNEL' })
    expect(error.message).toMatch(/^the VM exited \(exit code 0\): qemu 7\.2\.13: the guest kernel reported a panic\n  \| Kernel panic - not syncing: sysrq triggered crash\n/)
  })
  it('watches a running console and reports a fault once, with the lines that follow it', async () => {
    const log = join(tempDir(), 'console.log')
    writeFileSync(log, '[    1.0] Linux version 7.2.13\n')
    const faults: string[] = []
    const watcher = watchConsole(log, (fault) => faults.push(`${fault.kind}: ${fault.report}`))
    try {
      await new Promise((resolve) => setTimeout(resolve, 400))
      expect(faults).toEqual([])
      appendFileSync(log, `${NULL_DEREF.split('\n')[0]}\n`)
      await new Promise((resolve) => setTimeout(resolve, 300))
      appendFileSync(log, `${NULL_DEREF.split('\n').slice(1).join('\n')}\n`)
      await expect.poll(() => faults.length, { timeout: 3000 }).toBe(1)
      expect(faults[0]).toContain('bug: BUG: kernel NULL pointer dereference')
      expect(faults[0]).toContain('RIP: 0010:my_feature_write+0x12/0x40')
      await new Promise((resolve) => setTimeout(resolve, 1200))
      expect(faults).toHaveLength(1)
    } finally {
      watcher.stop()
    }
  })
})
