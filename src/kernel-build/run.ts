import { execa, type Result } from 'execa'
import { KernelBuildError } from '../errors.js'

/** How many of a failed step's last lines go into the error: enough to show a compiler error. */
const TAIL_LINES = 30

export interface StepOptions {
  cwd?: string
  env?: Record<string, string>
  onLine?: (line: string) => void
}

/** Runs a long build step, streaming stdout and stderr (merged, line by line) to `onLine`. */
export async function streamStep(file: string, args: readonly string[], options: StepOptions = {}): Promise<void> {
  const subprocess = execa(file, args, {
    cwd: options.cwd,
    env: options.env,
    all: true,
    buffer: false,
    reject: false,
    stdin: 'ignore',
  })
  const tail: string[] = []
  for await (const line of subprocess.iterable({ from: 'all' })) {
    options.onLine?.(line)
    tail.push(line)
    if (tail.length > TAIL_LINES) tail.shift()
  }
  failOnError(await subprocess, tail)
}

/** Runs a short query (apt-cache, dpkg-deb -f) and returns its stdout. */
export async function queryStep(file: string, args: readonly string[], options: { cwd?: string } = {}): Promise<string> {
  const result = await execa(file, args, { cwd: options.cwd, reject: false, stdin: 'ignore' })
  failOnError(result, String(result.stderr ?? '').split('\n').slice(-TAIL_LINES))
  return String(result.stdout ?? '')
}

function failOnError(result: Result, tail: readonly string[]): void {
  if (!result.failed) return
  const output = tail.filter((line) => line.trim() !== '').map((line) => `  | ${line}`).join('\n')
  throw new KernelBuildError('command-failed', `${result.shortMessage}${output ? `\n${output}` : ''}`, {
    hint: 'the lines above are the end of its output; fix the cause and run `page-budget kernel build` again',
    cause: result,
  })
}
