import type { Result } from 'execa'
import { TargetError } from '../errors.js'
import type { ExecResult } from './types.js'

/**
 * A finished execa run as page-budget's ExecResult. A non-zero exit is the caller's to judge
 * (workloads may fail on purpose); a timeout or a command that could not start is an error.
 */
export function toExecResult(command: string, result: Result): ExecResult {
  if (result.timedOut) {
    throw new TargetError(`command timed out after ${result.durationMs.toFixed(0)} ms: ${command}`, {
      hint: 'pass a larger { timeout } to exec, or make the workload smaller',
      cause: result,
    })
  }
  if (result.failed && result.exitCode === undefined) {
    throw new TargetError(`could not run: ${command}\n  ${result.shortMessage}`, { cause: result })
  }
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') }
}
