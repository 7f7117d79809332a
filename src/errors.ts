/**
 * Every failure page-budget reports on purpose is a PageBudgetError: a stable `code`
 * for programs, a message for people, and a `hint` that says what to do about it.
 * The original error, when there is one, is kept as `cause`.
 */
export class PageBudgetError extends Error {
  readonly code: string
  readonly hint: string | undefined

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(options.hint ? `${message}\n  hint: ${options.hint}` : message, { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.hint = options.hint
  }
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
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('E_TARGET', message, options)
  }
}

/** The virtual machine behind a QEMU target stopped, failed to boot or stopped answering. */
export class VmError extends PageBudgetError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('E_VM', message, options)
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
  readonly reason: 'missing-tools' | 'no-source' | 'config-dropped' | 'command-failed'
  constructor(
    reason: 'missing-tools' | 'no-source' | 'config-dropped' | 'command-failed',
    message: string,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    super('E_KERNEL_BUILD', message, options)
    this.reason = reason
  }
}
