import { OomKilledError } from '../errors.js'
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
const KILL_LINE =
  /^(?:\[\s*(\d+\.\d+)\]\s*)?(?:Memory cgroup out of memory|Out of memory)(?: \([^)]*\))?: Killed process (\d+) \((.*)\) total-vm:\d+kB, anon-rss:(\d+)kB, file-rss:(\d+)kB, shmem-rss:(\d+)kB/
/** The report's first line (`dd invoked oom-killer: gfp_mask=...`) and its page counts (`active_anon:... shmem:...`). */
const CONTEXT_LINE = /invoked oom-killer:|^(?:\[[^\]]*\]\s*)?active_anon:/

/**
 * Why a command died of SIGKILL, when the kernel's log says its OOM killer did it during the
 * command (the last `Killed process` line stamped after the command began): an OomKilledError
 * naming the victim and what memory held, or undefined for any other ending. `elapsedMs` is how
 * long the command ran, so an older kill in the log is not blamed on it.
 */
export async function explainKill(target: Target, command: string, result: ExecResult, elapsedMs: number): Promise<OomKilledError | undefined> {
  if (result.exitCode !== KILLED || !target.exec) return undefined
  // One command for both: the uptime is read right before the log, on the same clock as its stamps.
  const log = await target.exec('cat /proc/uptime && dmesg', { timeout: 30_000 }).catch(() => undefined)
  if (!log || log.exitCode !== 0) return undefined
  const [uptime = '', ...lines] = log.stdout.split('\n')
  const began = Number.parseFloat(uptime) - elapsedMs / 1000 - CLOCK_SLACK_S
  for (let index = lines.length - 1; index >= 0; index--) {
    const kill = KILL_LINE.exec(lines[index]!)
    if (!kill) continue
    if (kill[1] !== undefined && Number(kill[1]) < began) return undefined
    // The report of this kill runs from its `invoked oom-killer` line down to the kill itself.
    const start = lines.findLastIndex((line, at) => at < index && line.includes('invoked oom-killer:'))
    const context = lines.slice(Math.max(start, 0), index).filter((line) => CONTEXT_LINE.test(line))
    return new OomKilledError(command, result, {
      pid: Number(kill[2]),
      comm: kill[3]!,
      anonRssKiB: Number(kill[4]),
      fileRssKiB: Number(kill[5]),
      shmemRssKiB: Number(kill[6]),
    }, [...context, lines[index]!].map((line) => line.trim()).join('\n'))
  }
  return undefined
}
