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

/** POSIX single-quoting: the result is one word to any sh. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`
}

/**
 * `command` as the shell line every target runs: from `cwd` when given, the `cd` on a line of
 * its own, so the whole command (lists, pipes, `&&`) runs there and none of it when the
 * directory is missing.
 */
export function shellLine(command: string, cwd: string | undefined): string {
  return cwd === undefined ? command : `cd -- ${shellQuote(cwd)} || exit 1\n${command}`
}
