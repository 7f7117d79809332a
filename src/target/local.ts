import { access, constants, writeFile } from 'node:fs/promises'
import { execa } from 'execa'
import { openFile } from '../format/file.js'
import { kernelPaths } from './paths.js'
import { shellLine, toExecResult } from './exec.js'
import type { ExecOptions, ExecResult, KernelFile, Target } from './types.js'

export interface LocalTargetOptions {
  /** Where debugfs is mounted (default /sys/kernel/debug). */
  debugfs?: string
}

/** The kernel this process runs on: files read straight from debugfs, commands run with /bin/sh. */
export class LocalTarget implements Target {
  readonly description: string
  readonly #paths: Record<KernelFile, string>

  constructor(options: LocalTargetOptions = {}) {
    this.#paths = kernelPaths(options.debugfs)
    this.description = `local ${options.debugfs ?? '/sys/kernel/debug'}`
  }

  locate(file: KernelFile): string {
    return this.#paths[file]
  }

  read(file: KernelFile): AsyncIterable<Uint8Array> {
    return openFile(this.#paths[file])
  }

  async exists(file: KernelFile): Promise<boolean> {
    try {
      await access(this.#paths[file], constants.R_OK)
      return true
    } catch {
      return false
    }
  }

  async write(file: KernelFile, text: string): Promise<void> {
    await writeFile(this.#paths[file], text)
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return toExecResult(command, await execa('/bin/sh', ['-c', shellLine(command, options.cwd)], { reject: false, timeout: options.timeout ?? 300_000 }))
  }

  async close(): Promise<void> {}
}
