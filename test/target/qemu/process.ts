import { existsSync, readFileSync } from 'node:fs'

/** Whether a process still runs: not gone, and not a zombie nobody has reaped yet. */
export function running(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The state follows the command name, which may itself hold spaces and parentheses.
  return stat[stat.lastIndexOf(')') + 2] !== 'Z'
}
