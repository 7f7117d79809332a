import { OomKilledError } from '../errors.js'
import { readText } from './read.js'
import type { ExecResult, Target } from './types.js'

/** SIGKILL as a shell reports it: 128 + 9. The OOM killer always sends SIGKILL. */
const KILLED = 137
/** Guest and host clocks are read a moment apart; a kill this much before the command counts. */
const CLOCK_SLACK_S = 1

/**
 * The kernel's report of an OOM kill (mm/oom_kill.c, __oom_kill_process): `Out of memory: Killed
 * process PID (COMM) total-vm:NkB, anon-rss:NkB, file-rss:NkB, shmem-rss:NkB, ...`, or `Memory
 * cgroup out of memory: ...` for a cgroup's limit, after a `[seconds]` stamp with PRINTK_TIME.
 */
export const KILL_LINE =
  /^(?:\[\s*(\d+\.\d+)\]\s*)?(?:Memory cgroup out of memory|Out of memory)(?: \([^)]*\))?: Killed process (\d+) \((.*)\) total-vm:\d+kB, anon-rss:(\d+)kB, file-rss:(\d+)kB, shmem-rss:(\d+)kB/
/** The report's first line (`dd invoked oom-killer: gfp_mask=...`) and its page counts (`active_anon:... shmem:...`). */
const CONTEXT_LINE = /invoked oom-killer:|^(?:\[[^\]]*\]\s*)?active_anon:/

/** How long a console may lag behind the kill: the kernel prints the report, QEMU writes it out. */
const CONSOLE_LAG_MS = 2000
const CONSOLE_POLL_MS = 100

/**
 * Why a command died of SIGKILL, when the kernel's log says its OOM killer did it during the
 * command (the last `Killed process` line stamped after the command began): an OomKilledError
 * naming the victim and what memory held, or undefined for any other ending. `elapsedMs` is how
 * long the command ran, so an older kill in the log is not blamed on it.
 */
export async function explainKill(target: Target, command: string, result: ExecResult, elapsedMs: number): Promise<OomKilledError | undefined> {
  if (result.exitCode !== KILLED) return undefined
  const until = Date.now() + (target.kernelLog ? CONSOLE_LAG_MS : 0)
  for (;;) {
    const log = await kernelLog(target)
    if (!log) return undefined
    const found = lastKill(log.lines, log.uptime - elapsedMs / 1000 - CLOCK_SLACK_S)
    if (found) return new OomKilledError(command, result, found.victim, found.report)
    if (Date.now() >= until) return undefined
    await new Promise((resolve) => setTimeout(resolve, CONSOLE_POLL_MS))
  }
}

/**
 * The guest's uptime and log lines, read as close together as can be: from the target's own
 * log reader (nothing started on a guest that may still be out of memory), else from dmesg.
 */
async function kernelLog(target: Target): Promise<{ uptime: number; lines: string[] } | undefined> {
  if (target.kernelLog) {
    const [uptime, text] = await Promise.all([readText(target, 'uptime'), target.kernelLog()])
    return { uptime: Number.parseFloat(uptime), lines: text.split('\n') }
  }
  if (!target.exec) return undefined
  const log = await target.exec('cat /proc/uptime && dmesg', { timeout: 30_000 }).catch(() => undefined)
  if (!log || log.exitCode !== 0) return undefined
  const [uptime = '', ...lines] = log.stdout.split('\n')
  return { uptime: Number.parseFloat(uptime), lines }
}

/** The last OOM kill in `lines` stamped at or after `began` (seconds of uptime), with its report's key lines. */
function lastKill(lines: string[], began: number): { victim: OomKilledError['victim']; report: string } | undefined {
  for (let index = lines.length - 1; index >= 0; index--) {
    const kill = KILL_LINE.exec(lines[index]!)
    if (!kill) continue
    if (kill[1] !== undefined && Number(kill[1]) < began) return undefined
    // The report of this kill runs from its `invoked oom-killer` line down to the kill itself.
    const start = lines.findLastIndex((line, at) => at < index && line.includes('invoked oom-killer:'))
    const context = lines.slice(Math.max(start, 0), index).filter((line) => CONTEXT_LINE.test(line))
    return {
      victim: { pid: Number(kill[2]), comm: kill[3]!, anonRssKiB: Number(kill[4]), fileRssKiB: Number(kill[5]), shmemRssKiB: Number(kill[6]) },
      report: [...context, lines[index]!].map((line) => line.trim()).join('\n'),
    }
  }
  return undefined
}
