import type { ByteSource } from '../format/types.js'

/**
 * The kernel files page-budget reads, by logical name. Each target maps a name to a real
 * path (debugfs root, /proc) or to a recorded file, so the rest of the code never builds paths.
 */
export type KernelFile =
  | 'show_handles'
  | 'show_stacks_handles'
  | 'show_stacks'
  | 'count_threshold'
  | 'page_owner'
  | 'swap_page_owner'
  | 'allocinfo'
  | 'mem_profiling'
  | 'boot_id'
  | 'version'
  | 'cmdline'
  | 'kallsyms'
  | 'smaps'
  | 'meminfo'
  | 'vmstat'
  | 'memory_reclaim'
  | 'uptime'

export interface ExecResult {
  exitCode: number
  stdout: string
  stderr: string
}

export interface ExecOptions {
  /** Milliseconds before the command is reported as timed out (default 5 minutes). */
  timeout?: number
  /**
   * Directory to run the command in, on the target (a share's guest path on the QEMU target).
   * A directory that does not exist fails the command with exit code 1 before it starts.
   */
  cwd?: string
}

/** Where the kernel is: something that reads its files, and (for most kinds) runs commands. */
export interface Target {
  /** Short description for messages: `local /sys/kernel/debug`, `command ssh root@vm`, `qemu 7.2.13`. */
  readonly description: string
  /**
   * A throwaway kernel (the QEMU test VM): page-budget may flush its caches there, for
   * example to make pages held in per-CPU batches show as freed. Never set for a real host.
   */
  readonly disposable?: boolean
  /** The kernel image this target booted, on this host (the QEMU target): what reports tag measurements with. */
  readonly kernelImage?: string
  /** Where a file is, for messages (`/sys/kernel/debug/page_owner`, a recorded file's path). */
  locate?(file: KernelFile): string
  /** The file as a stream of bytes. Rejects with FileMissingError or PermissionError. */
  read(file: KernelFile): ByteSource
  /** Whether the file exists (and is readable) on the target. */
  exists(file: KernelFile): Promise<boolean>
  /** Writes a small value (count_threshold); not every target can. */
  write?(file: KernelFile, text: string): Promise<void>
  /**
   * The end of the kernel's log, read without starting anything on the target (the QEMU target
   * reads the guest's console on the host): after an OOM kill the guest may have no memory
   * to start `dmesg` with. Absent where only `exec('dmesg')` can tell.
   */
  kernelLog?(): Promise<string>
  /** Runs a shell command where the kernel is; absent where there is nothing to run it on. */
  exec?(command: string, options?: ExecOptions): Promise<ExecResult>
  close(): Promise<void>
}
