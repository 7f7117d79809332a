import { FileMissingError, PermissionError } from '../../errors.js'
import { shellLine } from '../exec.js'
import { consoleTail } from './console.js'
import { kernelPaths } from '../paths.js'
import type { ExecOptions, ExecResult, KernelFile, Target } from '../types.js'
import type { RequestChannel } from './channel.js'

/** Default exec timeout, as ExecOptions documents it. */
const EXEC_TIMEOUT = 5 * 60_000
/** Enough of the console for a whole OOM report (its memory and task tables run to a few KiB). */
const KERNEL_LOG_LINES = 1000
const KERNEL_LOG_BYTES = 256 << 10

/**
 * The Target of a QEMU guest, over a RequestChannel: the same class serves the VM's own
 * process and every process connected through the broker. `close` lets go of this process's
 * connection; the VM itself is stopped by whoever started it (QemuVm.stop).
 */
export class QemuTarget implements Target {
  readonly description: string
  readonly disposable = true
  readonly kernelImage: string | undefined
  readonly #channel: RequestChannel
  readonly #close: () => Promise<void>
  readonly #paths = kernelPaths()
  /** The guest's console as QEMU writes it on this host (the broker's HELLO names it). */
  readonly #consoleLog: string | undefined

  constructor(channel: RequestChannel, description: string, close: () => Promise<void>, consoleLog?: string, kernelImage?: string) {
    this.#channel = channel
    this.description = description
    this.#close = close
    this.#consoleLog = consoleLog
    this.kernelImage = kernelImage
  }

  async kernelLog(): Promise<string> {
    return this.#consoleLog === undefined ? '' : consoleTail(this.#consoleLog, KERNEL_LOG_LINES, KERNEL_LOG_BYTES)
  }

  locate(file: KernelFile): string {
    return this.#paths[file]
  }

  read(file: KernelFile): AsyncIterable<Uint8Array> {
    return this.#channel.read(this.#paths[file])
  }

  async exists(file: KernelFile): Promise<boolean> {
    try {
      await this.#channel.stat(this.#paths[file])
      return true
    } catch (error) {
      if (error instanceof FileMissingError || error instanceof PermissionError) return false
      throw error
    }
  }

  write(file: KernelFile, text: string): Promise<void> {
    return this.#channel.write(this.#paths[file], new TextEncoder().encode(text))
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return this.#channel.exec(shellLine(command, options.cwd), options.timeout ?? EXEC_TIMEOUT)
  }

  close(): Promise<void> {
    return this.#close()
  }
}
