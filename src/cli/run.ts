import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import { parseBudget, type Budget, type Tolerance } from '../amount.js'
import { KernelBuildError, PageBudgetError, UsageError } from '../errors.js'
import { CliUsageError, positiveInt } from './args.js'
import { BUILD_OPTIONS, BUILD_USAGE, buildWithProgress, kernelRequest } from '../kernel-build/cli.js'
import { formatKernelTag } from '../kernel-build/tag.js'
import { reportRecord } from '../report/records.js'
import { sessionKernel } from '../session/kernel.js'
import { compileSelector } from '../select/selector.js'
import { Session } from '../session/session.js'
import type { QemuVm } from '../target/qemu/vm.js'
import { matchers } from '../verdict/matchers.js'
import { endSection, recordsOf } from '../verdict/section.js'

export const usage = `page-budget run ${BUILD_USAGE}
                --exec CMD (--at-most SIZE | --at-least SIZE) [--frames PAT]... [--module PAT] [--tolerance T]
                [--memory MiB] [--timeout SECONDS] [--boot-timeout SECONDS] [--json]
  Builds (or reuses) the kernel, boots it in QEMU, runs CMD in the guest and checks one budget on
  what the selected stacks gained: exit 0 within it, 1 over it, 125 when the kernel could not be
  built or booted or CMD failed (git bisect run's "skip"), 128 on bad arguments (which stops git
  bisect run rather than blaming a commit), 130/143 when interrupted (the VM is stopped first).
  Kernels are cached per tree state (a commit), and the tree's build directory is reused, so
  \`git bisect run page-budget run --source . ...\` rebuilds only what each step changed.`

/** git bisect run's codes: 125 skips a commit it cannot test, anything above 127 stops the bisection. */
export const EXIT = { within: 0, over: 1, skip: 125, usage: 128 } as const

const OPTIONS = {
  ...BUILD_OPTIONS,
  exec: { type: 'string' },
  'at-most': { type: 'string' },
  'at-least': { type: 'string' },
  frames: { type: 'string', multiple: true },
  module: { type: 'string' },
  tolerance: { type: 'string' },
  memory: { type: 'string' },
  timeout: { type: 'string' },
  'boot-timeout': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const

/** One budget on one workload, as `run` takes them. */
interface RunPlan {
  matcher: 'toAllocateAtMost' | 'toAllocateAtLeast'
  budget: Budget
  options: { frames?: string[]; module?: string; tolerance?: Tolerance }
  exec: string
  memory: number
  timeoutMs: number
  bootTimeoutMs: number
}

/**
 * `page-budget run`: one kernel, one workload, one budget, for scripts and `git bisect run`.
 * Resolves to the exit code; the VM is stopped on every path, SIGINT and SIGTERM included.
 */
export async function runCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const err = (text: string) => process.stderr.write(`${text}\n`)
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values']
  let plan: RunPlan
  try {
    const parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
    if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument ${parsed.positionals[0]}`)
    values = parsed.values
    plan = planOf(values)
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof CliUsageError) && !(error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) throw error
    err(`page-budget run: ${error.message}\n\nusage:\n${usage}`)
    return EXIT.usage
  }

  let vm: QemuVm | undefined
  let booting: Promise<QemuVm> | undefined
  const stop = async () => {
    // A boot under way is let finish, so the QEMU it started is stopped rather than left behind.
    const running = vm ?? (await booting?.catch(() => undefined))
    await running?.stop()
  }
  let interrupted: NodeJS.Signals | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return
    interrupted = signal
    err(`page-budget run: ${signal}: stopping`)
    void stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    const started = performance.now()
    const build = await buildWithProgress(kernelRequest(values), values)
    const built = performance.now()
    const { startVm } = await import('../target/qemu/vm.js')
    booting = startVm({ kind: 'qemu', kernel: build.bzImage, memory: plan.memory, bootTimeout: plan.bootTimeoutMs, ...(values.cache !== undefined && { cacheDir: values.cache }) })
    vm = await booting
    err(`page-budget run: booted ${vm.kernelRelease} in ${(vm.bootMs / 1000).toFixed(1)} s (qemu pid ${vm.pid})`)
    const session = await Session.open(vm.target, { ...(values.cache !== undefined && { cacheDir: values.cache }) })
    const booted = performance.now()
    const measurement = await session.begin()
    let result
    try {
      err(`page-budget run: running ${plan.exec}`)
      await measurement.exec(plan.exec, { timeout: plan.timeoutMs })
      result = await matchers[plan.matcher].call({ isNot: false }, measurement, plan.budget, plan.options)
    } finally {
      await endSection(measurement)
    }
    const ran = performance.now()
    const record = reportRecord(recordsOf(measurement)[0]!)
    const kernel = await sessionKernel(session)
    const seconds = { build: (built - started) / 1000, boot: (booted - built) / 1000, workload: (ran - booted) / 1000 }
    const code = result.pass ? EXIT.within : EXIT.over
    if (values.json) {
      out(JSON.stringify({ exitCode: code, kernel, build: { bzImage: build.bzImage, reused: build.reused, log: build.log ?? null }, seconds, record }, null, 2))
    } else {
      if (!result.pass) out(result.message())
      out(`page-budget run: ${formatKernelTag(kernel)}`)
      out(`page-budget run: ${record.selector}: ${record.measured.pages} pages, expected ${record.expected}: ${result.pass ? 'within' : 'OVER'}`)
      out(`page-budget run: kernel ${build.reused ? 'reused' : 'built'} in ${seconds.build.toFixed(1)} s, booted in ${seconds.boot.toFixed(1)} s, workload ${seconds.workload.toFixed(1)} s`)
    }
    return code
  } catch (error) {
    // Stopping the VM ends the workload too; the signal handler exits once the VM is gone.
    if (interrupted) return interrupted === 'SIGINT' ? 130 : 143
    return failed(error, err)
  } finally {
    if (!interrupted) {
      await stop()
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }
}

/** What the budget flags ask for, checked before anything builds: a typo must not cost a build, nor blame a commit. */
function planOf(values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values']): RunPlan {
  if (values.exec === undefined) throw new UsageError('--exec CMD: the workload to run in the guest')
  const limits = (['at-most', 'at-least'] as const).filter((flag) => values[flag] !== undefined)
  if (limits.length !== 1) throw new UsageError('give the budget once: --at-most SIZE or --at-least SIZE')
  const text = values[limits[0]!]!
  const budget = /^\d+$/.test(text) ? Number(text) : text
  parseBudget(budget, 4096)
  compileSelector({ ...(values.frames && { frames: values.frames }), ...(values.module !== undefined && { module: values.module }) })
  const options: RunPlan['options'] = {
    ...(values.frames && { frames: values.frames }),
    ...(values.module !== undefined && { module: values.module }),
    ...(values.tolerance !== undefined && { tolerance: values.tolerance as Tolerance }),
  }
  return {
    matcher: limits[0] === 'at-most' ? 'toAllocateAtMost' : 'toAllocateAtLeast',
    budget,
    options,
    exec: values.exec,
    memory: positiveInt(values.memory, '--memory', 1024),
    timeoutMs: positiveInt(values.timeout, '--timeout', 300) * 1000,
    // Longer than the QEMU target's 120 s: a slow boot on a loaded machine would be a skipped commit
    // (a stalled one still fails after 30 s of console silence).
    bootTimeoutMs: positiveInt(values['boot-timeout'], '--boot-timeout', 180) * 1000,
  }
}

/**
 * A commit that cannot be built, booted or measured (its build fails, its kernel does not boot,
 * the workload fails on it) is skipped; anything else (the tree, an option, a missing tool, a
 * fault of page-budget's own) stops the bisection instead of blaming a commit.
 */
function failed(error: unknown, err: (text: string) => void): number {
  const stops = !(error instanceof PageBudgetError) || error instanceof UsageError || (error instanceof KernelBuildError && ['missing-tools', 'not-a-tree', 'tree-not-clean', 'bad-option'].includes(error.reason))
  err(`page-budget run: ${error instanceof PageBudgetError ? error.message : (error as Error)?.stack ?? String(error)}`)
  err(stops ? 'page-budget run: exit 128: this is not about the commit (git bisect run stops)' : 'page-budget run: exit 125: this commit cannot be measured (git bisect run skips it)')
  return stops ? EXIT.usage : EXIT.skip
}
