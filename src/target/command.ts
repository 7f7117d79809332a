import { execa } from 'execa'
import { FileMissingError, PermissionError, TargetError } from '../errors.js'
import { kernelPaths } from './paths.js'
import { shellLine, shellQuote, toExecResult } from './exec.js'
import type { ExecOptions, ExecResult, KernelFile, Target } from './types.js'

export interface CommandTargetOptions {
  /** argv that runs a command where the kernel is: `['sudo']`, `['ssh', 'root@vm']`, `['sudo', '-n']`. */
  prefix: string[]
  debugfs?: string
  /**
   * Whether the prefix hands its arguments to a remote shell that re-splits them (ssh does,
   * sudo does not). Default: true when the prefix starts with ssh. When true, page-budget
   * quotes the command into one argument so paths and scripts arrive intact.
   */
  remoteShell?: boolean
}

/**
 * A kernel reached through a command prefix. Every read is `prefix cat PATH`, streamed from the
 * child's stdout, so a 45 MB page_owner file never sits in memory.
 */
export class CommandTarget implements Target {
  readonly description: string
  readonly #prefix: string[]
  readonly #paths: Record<KernelFile, string>
  readonly #remoteShell: boolean

  constructor(options: CommandTargetOptions) {
    if (options.prefix.length === 0) throw new TargetError('a command target needs a non-empty prefix, such as ["sudo"]')
    this.#prefix = options.prefix
    this.#remoteShell = options.remoteShell ?? /(^|\/)ssh$/.test(options.prefix[0]!)
    this.#paths = kernelPaths(options.debugfs)
    this.description = `command ${options.prefix.join(' ')}`
  }

  #argv(argv: string[]): [string, ...string[]] {
    const tail = this.#remoteShell ? [argv.map(shellQuote).join(' ')] : argv
    return [...this.#prefix, ...tail] as [string, ...string[]]
  }

  #run(argv: string[]) {
    const [file, ...args] = this.#argv(argv)
    return execa(file, args, { reject: false, stdin: 'ignore', buffer: { stdout: false, stderr: true } })
  }

  locate(file: KernelFile): string {
    return this.#paths[file]
  }

  async *read(name: KernelFile): AsyncIterable<Uint8Array> {
    const path = this.#paths[name]
    const child = this.#run(['cat', path])
    // The error event would otherwise reject unobserved while stdout is still being read.
    const done = child.then((result) => result)
    for await (const chunk of child.stdout!) yield chunk as Uint8Array
    const result = await done
    if (result.exitCode === 0) return
    const stderr = String(result.stderr ?? '')
    if (/no such file/i.test(stderr)) throw new FileMissingError(path, { cause: result })
    if (/permission denied|operation not permitted/i.test(stderr)) throw new PermissionError(path, { cause: result })
    throw new TargetError(`${this.description}: cat ${path} failed (${result.shortMessage})\n  ${stderr.trim()}`, { cause: result })
  }

  async exists(name: KernelFile): Promise<boolean> {
    const result = await this.#run(['test', '-r', this.#paths[name]])
    if (result.exitCode === undefined) throw new TargetError(`${this.description}: ${result.shortMessage}`, { cause: result })
    return result.exitCode === 0
  }

  async write(name: KernelFile, text: string): Promise<void> {
    const path = this.#paths[name]
    const result = await this.#run(['sh', '-c', `printf '%s' "$1" > "$2"`, 'sh', text, path])
    if (result.exitCode !== 0) throw new TargetError(`${this.description}: writing ${path} failed\n  ${String(result.stderr).trim()}`, { cause: result })
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const [file, ...args] = this.#argv(['sh', '-c', shellLine(command, options.cwd)])
    return toExecResult(command, await execa(file, args, { reject: false, stdin: 'ignore', timeout: options.timeout ?? 300_000 }))
  }

  async close(): Promise<void> {}
}
