import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { execa, type Result } from 'execa'
import { KernelBuildError } from '../errors.js'

/** How many of a failed step's last lines go into the error: enough to show a compiler error. */
const TAIL_LINES = 30

export interface StepOptions {
  cwd?: string
  env?: Record<string, string>
}

/** Runs one build step (apt-get, tar, make), its output going to the build's log. */
export type Step = (file: string, args: readonly string[], options?: StepOptions) => Promise<void>

/**
 * One build's log: every line of every step, and page-budget's own notes, go to a file (whose
 * path a failure names) and to `onLine` (the CLI's --verbose, the progress line). A step that
 * fails throws a KernelBuildError with the end of its output and the log's path.
 */
export class BuildLog {
  readonly path: string
  readonly #file: WriteStream
  readonly #onLine: ((line: string) => void) | undefined

  private constructor(path: string, file: WriteStream, onLine?: (line: string) => void) {
    this.path = path
    this.#file = file
    this.#onLine = onLine
  }

  static async open(path: string, onLine?: (line: string) => void): Promise<BuildLog> {
    await mkdir(dirname(path), { recursive: true })
    return new BuildLog(path, createWriteStream(path, { flags: 'w' }), onLine)
  }

  /** A line of page-budget's own (`page-budget: configuring ...`). */
  note(line: string): void {
    this.#line(`page-budget: ${line}`)
  }

  readonly step: Step = async (file, args, options = {}) => {
    this.#line(`$ ${[file, ...args].join(' ')}`)
    const subprocess = execa(file, args, { cwd: options.cwd, env: options.env, all: true, buffer: false, reject: false, stdin: 'ignore' })
    const tail: string[] = []
    for await (const line of subprocess.iterable({ from: 'all' })) {
      this.#line(line)
      tail.push(line)
      if (tail.length > TAIL_LINES) tail.shift()
    }
    failOnError(await subprocess, tail, this.path)
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#file.end(resolve))
  }

  #line(line: string): void {
    this.#file.write(`${line}\n`)
    this.#onLine?.(line)
  }
}

/** Runs a short query (apt-cache, git, gcc --version) and returns its stdout. */
export async function queryStep(file: string, args: readonly string[], options: { cwd?: string } = {}): Promise<string> {
  const result = await execa(file, args, { cwd: options.cwd, reject: false, stdin: 'ignore' })
  failOnError(result, String(result.stderr ?? '').split('\n').slice(-TAIL_LINES))
  return String(result.stdout ?? '')
}

function failOnError(result: Result, tail: readonly string[], log?: string): void {
  if (!result.failed) return
  const output = tail.filter((line) => line.trim() !== '').map((line) => `  | ${line}`).join('\n')
  throw new KernelBuildError('command-failed', `${result.shortMessage}${output ? `\n${output}` : ''}${log ? `\nfull log: ${log}` : ''}`, {
    hint: 'the lines above are the end of its output; fix the cause and run `page-budget kernel build` again',
    cause: result,
    ...(log && { log }),
  })
}
