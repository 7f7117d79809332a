import { constants } from 'node:os'

/** Marks page-budget's errors, so `instanceof` holds across duplicate installs of the package. */
const BRAND = Symbol.for('page-budget.error')

/**
 * Every failure page-budget reports on purpose is a PageBudgetError: a stable `code`
 * for programs, a message for people, and a `hint` that says what to do about it.
 * The original error, when there is one, is kept as `cause`.
 *
 * Each error carries the names of its class chain under a registered symbol, and `instanceof`
 * checks that list as well as the prototype chain: an error thrown by one copy of page-budget
 * (a plugin's own dependency) is still `instanceof VmError` for the copy the test imported.
 */
export class PageBudgetError extends Error {
  readonly code: string
  readonly hint: string | undefined
  declare readonly [BRAND]: readonly string[]

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true
    const names = typeof value === 'object' && value !== null ? (value as { [BRAND]?: unknown })[BRAND] : undefined
    return Array.isArray(names) && names.includes(this.name)
  }

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(options.hint ? `${message}\n  hint: ${options.hint}` : message, { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.hint = options.hint
    const names: string[] = []
    for (let c: unknown = new.target; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c)) names.push((c as { name: string }).name)
    Object.defineProperty(this, BRAND, { value: names, enumerable: false })
  }
}

/** A type guard for any page-budget error, optionally with one `code`; works across duplicate installs. */
export function isPageBudgetError(value: unknown, code?: string): value is PageBudgetError {
  return value instanceof PageBudgetError && (code === undefined || value.code === code)
}

/** Text from a debugfs file (or a recording of one) that does not have the expected shape. */
export class ParseError extends PageBudgetError {
  readonly file: string
  readonly line: number
  readonly text: string

  constructor(file: string, line: number, text: string, problem: string, options: { cause?: unknown } = {}) {
    const shown = text.length > 120 ? `${text.slice(0, 117)}...` : text
    super('E_PARSE', `${file}:${line}: ${problem}\n  | ${shown}`, {
      hint: 'the file is truncated, garbled or not the file it claims to be; read it again from the kernel',
      ...options,
    })
    this.file = file
    this.line = line
    this.text = text
  }
}

/** A kernel file that is not there (not mounted, not built in, or not recorded). */
export class FileMissingError extends PageBudgetError {
  readonly path: string
  constructor(path: string, options: { hint?: string; cause?: unknown } = {}) {
    super('E_MISSING', `${path} does not exist`, options)
    this.path = path
  }
}

/** Reading or writing debugfs needs root. */
export class PermissionError extends PageBudgetError {
  readonly path: string
  constructor(path: string, options: { cause?: unknown } = {}) {
    super('E_PERMISSION', `permission denied reading ${path}`, {
      hint: "debugfs needs root: run as root, or use a command target such as { kind: 'command', prefix: ['sudo'] }",
      ...options,
    })
    this.path = path
  }
}

/** The kernel has no page_owner data to give: not built in, or not switched on at boot. */
export class PageOwnerDisabledError extends PageBudgetError {
  readonly reason: 'not-built' | 'not-enabled' | 'no-debugfs'
  constructor(reason: 'not-built' | 'not-enabled' | 'no-debugfs', message: string, hint: string) {
    super('E_PAGE_OWNER_OFF', message, { hint })
    this.reason = reason
  }
}

/**
 * A test asked for call sites (`sites: [...]`), and the kernel's /proc/allocinfo cannot answer:
 * not built (no CONFIG_MEM_ALLOC_PROFILING), or built but not counting (vm.mem_profiling is 0,
 * or `never` from boot, which also removes the file).
 */
export class AllocInfoUnavailableError extends PageBudgetError {
  readonly reason: 'not-built' | 'off'
  constructor(reason: 'not-built' | 'off', message: string, hint: string) {
    super('E_ALLOCINFO_OFF', message, { hint })
    this.reason = reason
  }
}

/** A non-zero count_threshold hides small stacks from show_handles and show_stacks, corrupting deltas. */
export class CountThresholdError extends PageBudgetError {
  readonly threshold: number
  constructor(threshold: number) {
    super(
      'E_COUNT_THRESHOLD',
      `page_owner_stacks/count_threshold is ${threshold}: stacks with fewer pages are hidden, so deltas would be wrong`,
      { hint: "set it to 0 (echo 0 > /sys/kernel/debug/page_owner_stacks/count_threshold), or pass threshold: 'reset' to set it to 0 for the run and restore it afterwards" },
    )
    this.threshold = threshold
  }
}

/** The kernel lacks a file a feature needs (for example show_handles before v6.19). */
export class UnsupportedKernelError extends PageBudgetError {
  constructor(message: string, hint: string) {
    super('E_UNSUPPORTED_KERNEL', message, { hint })
  }
}

/** A target could not do what was asked: a command failed, a connection dropped. */
export class TargetError extends PageBudgetError {
  constructor(message: string, options: { hint?: string; cause?: unknown; code?: string } = {}) {
    super(options.code ?? 'E_TARGET', message, options)
  }
}

/** Waiting for another process's measured section (or kernel build, or baseline write) took too long. */
export class LockTimeoutError extends TargetError {
  readonly lock: string
  constructor(lock: string, message: string, options: { hint?: string } = {}) {
    super(message, { ...options, code: 'E_LOCK_TIMEOUT' })
    this.lock = lock
  }
}

/** A command on the target ended with a non-zero status: its exit code and output, execa-style. */
export class ExecError extends TargetError {
  readonly command: string
  readonly exitCode: number
  /** The signal that ended the command (`SIGKILL`), when one did (exit codes 129 to 159). */
  readonly signal: string | undefined
  readonly stdout: string
  readonly stderr: string

  constructor(command: string, result: { exitCode: number; stdout: string; stderr: string }, options: { message?: string; hint?: string; cause?: unknown; code?: string } = {}) {
    const signal = signalOf(result.exitCode)
    const tail = result.stderr.trimEnd().split('\n').slice(-STDERR_TAIL_LINES).join('\n')
    const how = signal ? `was killed by ${signal} (exit ${result.exitCode})` : `exited with ${result.exitCode}`
    const head = options.message ?? `command ${how}: ${command}`
    super(tail ? `${head}\n${tail.split('\n').map((line) => `  | ${line}`).join('\n')}` : head, {
      hint: options.hint ?? 'pass { reject: false } to exec when a non-zero exit is expected',
      cause: options.cause,
      code: options.code ?? 'E_EXEC',
    })
    this.command = command
    this.exitCode = result.exitCode
    this.signal = signal
    this.stdout = result.stdout
    this.stderr = result.stderr
  }
}

const STDERR_TAIL_LINES = 10

/** The signal behind a shell's exit code 128 + N, by Linux's numbering (every target is Linux). */
function signalOf(exitCode: number): string | undefined {
  if (exitCode <= 128 || exitCode >= 160) return undefined
  const number = exitCode - 128
  return Object.entries(constants.signals).find(([, value]) => value === number)?.[0] ?? `signal ${number}`
}

/** The kernel's OOM killer ended a workload: which process, and what it held when it was chosen. */
export class OomKilledError extends ExecError {
  /** The victim as the kernel's log names it (it may be a child of the command's shell). */
  readonly victim: { pid: number; comm: string; anonRssKiB?: number; fileRssKiB?: number; shmemRssKiB?: number }

  constructor(command: string, result: { exitCode: number; stdout: string; stderr: string }, victim: OomKilledError['victim'], log: string) {
    const held = [['anon', victim.anonRssKiB], ['file', victim.fileRssKiB], ['shmem', victim.shmemRssKiB]]
      .filter(([, kib]) => kib !== undefined)
      .map(([what, kib]) => `${what} ${Math.round(Number(kib) / 1024)} MiB`)
    super(command, result, {
      code: 'E_OOM',
      message: `the guest's OOM killer ended ${victim.comm} (pid ${victim.pid})${held.length ? `, which held ${held.join(', ')}` : ''}: ${command}\n${log.split('\n').map((line) => `  > ${line}`).join('\n')}`,
      hint: 'the workload needs more memory than the guest has: give the VM more (the qemu target\'s memory option), write less, or push pages to swap with pageOwner.reclaim() instead of filling memory',
    })
    this.victim = victim
  }
}

/** The virtual machine behind a QEMU target stopped, failed to boot or stopped answering. */
export class VmError extends PageBudgetError {
  constructor(message: string, options: { hint?: string; cause?: unknown; code?: string } = {}) {
    super(options.code ?? 'E_VM', message, options)
  }
}

const KERNEL_FAULTS = {
  panic: 'a panic',
  oops: 'an oops',
  bug: 'a BUG',
  'soft-lockup': 'a soft lockup',
  'hung-task': 'a hung task',
  'rcu-stall': 'an RCU stall',
} as const

/** The guest kernel panicked, oopsed, hit a BUG or locked up: every test on that VM stops at once. */
export class GuestKernelError extends VmError {
  readonly kind: keyof typeof KERNEL_FAULTS
  /** The console lines from the report's first line on. */
  readonly report: string

  constructor(kind: GuestKernelError['kind'], report: string, consoleLog: string, context?: string) {
    super(`${context ? `${context}: ` : ''}the guest kernel reported ${KERNEL_FAULTS[kind]}\n${report.split('\n').map((line) => `  | ${line}`).join('\n')}`, {
      hint: `the kernel under test is broken, not the test: the whole console is in ${consoleLog}`,
      code: 'E_GUEST_KERNEL',
    })
    this.kind = kind
    this.report = report
  }
}

/** The caller used the API wrongly: a bad budget string, a wrong receiver, an unknown mark. */
export class UsageError extends PageBudgetError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('E_USAGE', message, options)
  }
}

/** The test kernel could not be built: a build tool is missing, the source could not be had, or a step failed. */
export class KernelBuildError extends PageBudgetError {
  readonly reason: KernelBuildFailure
  /** The full build log, when the failure came from a build step. */
  readonly log: string | undefined
  constructor(
    reason: KernelBuildFailure,
    message: string,
    options: { hint?: string; cause?: unknown; log?: string } = {},
  ) {
    super('E_KERNEL_BUILD', message, options)
    this.reason = reason
    this.log = options.log
  }
}

/** Why a kernel build failed: each has its own fix. */
export type KernelBuildFailure =
  | 'missing-tools'
  | 'no-source'
  | 'not-a-tree'
  | 'tree-not-clean'
  | 'bad-option'
  | 'config-dropped'
  | 'patch-failed'
  | 'command-failed'

/** An assertion on pageOwner was still running when its test ended: the test did not await it. */
export class UnawaitedAssertionError extends PageBudgetError {
  readonly assertions: ReadonlyArray<{ call: string; site?: { file: string; line: number } | undefined }>
  constructor(assertions: UnawaitedAssertionError['assertions']) {
    const lines = assertions.map(({ call, site }) => `  expect(pageOwner)${call}${site ? ` at ${site.file}:${site.line}` : ''}`)
    super('E_NOT_AWAITED', `${assertions.length === 1 ? 'an assertion was' : `${assertions.length} assertions were`} not awaited; the test ended while ${assertions.length === 1 ? 'it was' : 'they were'} still measuring:\n${lines.join('\n')}`, {
      hint: "page-budget's matchers are async: write `await expect(pageOwner)...`, or the test passes before the budget is judged",
    })
    this.assertions = assertions
  }
}

/** Proactive reclaim cannot run here: no memory.reclaim (cgroup v2 unmounted, no CONFIG_MEMCG, Linux < 5.19), or a target that cannot write it. */
export class ReclaimError extends PageBudgetError {
  readonly reason: 'no-memory-reclaim' | 'no-swap' | 'no-vm-events' | 'read-only-target'
  constructor(reason: ReclaimError['reason'], message: string, hint: string) {
    super('E_RECLAIM', message, { hint })
    this.reason = reason
  }
}

/** What a path turned out to be, in the words messages use: `file` is a regular file. */
export type FileKind = 'file' | 'directory' | 'FIFO' | 'socket' | 'character device' | 'block device'

/**
 * A path of the wrong kind: a directory (or a pipe, socket or device) where a recorded file was
 * wanted, or a file where a directory of them was. Pipes and devices are refused before they are
 * read because they may never end (/dev/zero) or never start (a FIFO nobody writes to).
 */
export class FileTypeError extends PageBudgetError {
  readonly path: string
  readonly kind: FileKind
  readonly wanted: 'file' | 'directory'
  constructor(path: string, kind: FileKind, wanted: 'file' | 'directory', options: { cause?: unknown } = {}) {
    super('E_FILE_TYPE', `${path} is a ${kind}, not a ${wanted}`, { hint: fileTypeHint(kind, wanted), ...options })
    this.path = path
    this.kind = kind
    this.wanted = wanted
  }
}

function fileTypeHint(kind: FileKind, wanted: 'file' | 'directory'): string {
  if (wanted === 'directory') return 'a recording is a directory of files (show_handles, show_stacks_handles, ...): pass a directory, not one of its files'
  if (kind === 'directory') return 'pass one of the recorded files in it; a directory stands for its samples only when `page-budget record` wrote it (it holds series.json)'
  return 'page-budget reads a recording to its end, and a pipe or device may never end or never start: save it to a file first (cat SOURCE > FILE) and pass that'
}

/** Bytes that cannot be kernel text where a debugfs file (or a recording of one) was expected. */
export class BinaryFileError extends PageBudgetError {
  readonly path: string
  /** A NUL byte (the kernel prints none), or more invalid UTF-8 than a truncated command name makes. */
  readonly reason: 'nul' | 'invalid-utf8'
  /** Where in the bytes (after gunzip) it showed: the NUL's offset, or the end of the invalid stretch read so far. */
  readonly offset: number
  constructor(path: string, reason: BinaryFileError['reason'], offset: number) {
    const found = reason === 'nul' ? `a NUL byte at byte ${offset}` : `invalid UTF-8 throughout its first ${offset} bytes`
    super('E_BINARY', `${path}: binary data, not page_owner text (${found})`, {
      hint: 'pass the text of a page_owner debugfs file as cat prints it (gzipped is fine); NUL bytes at the end of a recording mean it was cut short by a crash: record it again',
    })
    this.path = path
    this.reason = reason
    this.offset = offset
  }
}

/** Reading a file failed for a reason other than its absence or its permissions: a symlink loop, an I/O error. */
export class FileReadError extends PageBudgetError {
  readonly path: string
  constructor(path: string, cause: unknown) {
    super('E_READ', `cannot read ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      hint: 'the system says why (the code before the colon): fix that, or copy the data to a plain file and pass that',
      cause,
    })
    this.path = path
  }
}

/** A recorded file of a kind the command does not take, or of no kind page-budget knows. */
export class FileFormatError extends PageBudgetError {
  readonly path: string
  /** The debugfs file it looks like, if any. */
  readonly found: string | undefined
  readonly wanted: readonly string[]
  constructor(path: string, found: string | undefined, wanted: readonly string[], hint: string) {
    super('E_FORMAT', `${path}: not a ${wanted.slice(0, -1).join(', ')}${wanted.length > 1 ? ' or ' : ''}${wanted.at(-1)} file (looks like ${found ?? 'nothing known'})`, { hint })
    this.path = path
    this.found = found
    this.wanted = wanted
  }
}

/** A recorded sample names stacks its stacks file does not list, even read again: the two were not recorded together. */
export class UnknownStackError extends PageBudgetError {
  readonly handles: readonly number[]
  /** The stacks file that was read for them. */
  readonly file: string
  constructor(handles: readonly number[], file: string) {
    const shown = handles.length > 5 ? `${handles.slice(0, 5).join(', ')} and ${handles.length - 5} more` : handles.join(', ')
    super('E_UNKNOWN_STACK', `no stack for ${handles.length === 1 ? 'handle' : `${handles.length} handles`} ${shown} in ${file}, read just now`, {
      hint: 'read show_stacks_handles after show_handles, in the same boot: a stacks file read earlier, or on another boot, lacks the newer handles',
    })
    this.handles = handles
    this.file = file
  }
}

/** A program page-budget runs on the host is not installed (util-linux's flock, for the cross-process lock). */
export class MissingToolError extends PageBudgetError {
  readonly tool: string
  constructor(tool: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('E_MISSING_TOOL', message, options)
    this.tool = tool
  }
}

/** A directory page-budget keeps private things in (cache, locks) can be changed by other users. */
export class UnsafeDirectoryError extends PageBudgetError {
  readonly path: string
  constructor(path: string, message: string, options: { hint?: string } = {}) {
    super('E_UNSAFE_DIRECTORY', message, options)
    this.path = path
  }
}

/** A report (or baseline) file that is missing, not JSON, or not the shape its schema says. */
export class ReportFileError extends PageBudgetError {
  readonly path: string
  constructor(path: string, problem: string, options: { hint: string; cause?: unknown }) {
    super('E_REPORT', `${path}: ${problem}`, options)
    this.path = path
  }
}
