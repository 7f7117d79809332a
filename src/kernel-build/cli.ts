import { parseArgs } from 'node:util'
import { PageBudgetError, UsageError } from '../errors.js'
import { parseSourceVersion } from './apt.js'
import { buildKernel, findBuiltKernel, type KernelBuild } from './build.js'
import { checkKernelConfig, findKernelConfig, formatKernelCheck } from './check.js'
import { BuildProgress, formatStatus } from './progress.js'
import type { KernelRequest } from './request.js'

/** The build options in a usage line, as `kernel build` and `page-budget run` take them. */
export const BUILD_USAGE = `[--source DIR | --version X.Y|latest] [--config FILE]... [--enable CONFIG_X]...
                [--disable CONFIG_Y]... [--patch FILE]... [--swap-page-owner] [--force] [--jobs N] [--verbose] [--cache DIR]`

export const usage = `page-budget kernel build ${BUILD_USAGE}
page-budget kernel path [--version X.Y|latest] [the same options] [--cache DIR]
page-budget kernel check PATH     (a bzImage or a build directory)`

/** What a kernel build takes, for parseArgs: `kernel build` and `page-budget run` both parse these. */
export const BUILD_OPTIONS = {
  source: { type: 'string' },
  version: { type: 'string' },
  config: { type: 'string', multiple: true },
  enable: { type: 'string', multiple: true },
  disable: { type: 'string', multiple: true },
  patch: { type: 'string', multiple: true },
  'swap-page-owner': { type: 'boolean', default: false },
  cache: { type: 'string' },
  force: { type: 'boolean', default: false },
  jobs: { type: 'string' },
  verbose: { type: 'boolean', short: 'v', default: false },
} as const

export type BuildValues = ReturnType<typeof parseArgs<{ options: typeof BUILD_OPTIONS; allowPositionals: true }>>['values']

/** The request the build options ask for; UsageError for options that contradict each other. */
export function kernelRequest(values: BuildValues): KernelRequest {
  if (values.source !== undefined && values.version !== undefined) throw new UsageError('--source and --version: pick one (--version chooses a Debian source)', { hint: `usage: ${usage}` })
  return {
    ...(values.source !== undefined && { source: values.source }),
    ...(values.version !== undefined && { version: parseSourceVersion(values.version) }),
    configs: values.config ?? [],
    enable: values.enable ?? [],
    disable: values.disable ?? [],
    patches: values.patch ?? [],
    swapPageOwner: values['swap-page-owner'],
  }
}

/** How often a build that is not on a terminal says where it is. */
const QUIET_EVERY_MS = 30_000

/**
 * `page-budget kernel build` builds or reuses a kernel, showing one progress line (every line of
 * the build with --verbose; the full log is in a file whose path it prints) and printing the
 * bzImage path on stdout; `kernel path` prints a cached kernel's path, for scripts; `kernel
 * check` says what a kernel lacks. argv starts after `kernel`. Resolves to the exit code.
 */
export async function runKernelCommand(argv: string[]): Promise<number> {
  try {
    const { positionals, values } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...BUILD_OPTIONS, help: { type: 'boolean', short: 'h', default: false } },
    })
    const [command, ...rest] = positionals
    if (values.help) {
      process.stdout.write(`usage: ${usage}\n`)
      return 0
    }
    if (command === 'check') return check(rest)
    if (rest.length > 0) throw new UsageError(`unexpected argument ${rest[0]}`, { hint: `usage: ${usage}` })
    const request = kernelRequest(values)
    if (command === 'build') {
      const result = await buildWithProgress(request, values)
      process.stdout.write(`${result.bzImage}\n`)
      return 0
    }
    if (command === 'path') return path(request, values.cache)
    throw new UsageError(command ? `unknown kernel command ${command}` : 'missing kernel command', { hint: `usage: ${usage}` })
  } catch (error) {
    // parseArgs reports unknown or malformed options with a plain TypeError carrying a code.
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`page-budget: ${error.message}\nusage: ${usage}\n`)
      return 2
    }
    if (!(error instanceof PageBudgetError)) throw error
    process.stderr.write(`page-budget: ${error.message}\n`)
    return error instanceof UsageError ? 2 : 1
  }
}

/** Builds (or reuses) the kernel of a request, with the build options' cache, jobs and force, showing progress on stderr. */
export async function buildWithProgress(request: KernelRequest, values: Pick<BuildValues, 'cache' | 'jobs' | 'force' | 'verbose'>): Promise<KernelBuild> {
  const jobs = values.jobs === undefined ? undefined : Number(values.jobs)
  if (jobs !== undefined && !(Number.isInteger(jobs) && jobs > 0)) {
    throw new UsageError(`--jobs wants a positive whole number, got ${values.jobs}`)
  }
  const show = progressDisplay(values.verbose ?? false)
  try {
    const result = await buildKernel({ ...request, cacheDir: values.cache, jobs, force: values.force, onLine: show.line })
    show.end()
    const how = result.reused ? 'reused' : `built in ${Math.round(result.seconds)} s`
    process.stderr.write(`page-budget: kernel ${result.version} ${how}\n`)
    return result
  } finally {
    show.end()
  }
}

/**
 * What the build shows: every line with --verbose; else page-budget's own lines and one status
 * line, rewritten in place on a terminal, printed on each phase and every 30 s elsewhere.
 */
function progressDisplay(verbose: boolean): { line: (line: string) => void; end: () => void } {
  const err = process.stderr
  if (verbose) return { line: (line) => err.write(`${line}\n`), end: () => {} }
  const progress = new BuildProgress()
  const live = err.isTTY === true
  let shown = false
  const status = () => {
    const text = `page-budget: ${formatStatus(progress.status)}`
    if (live) {
      err.write(`\r\u001b[K${text}`)
      shown = true
    } else err.write(`${text}\n`)
  }
  const timer = setInterval(status, live ? 1000 : QUIET_EVERY_MS)
  timer.unref()
  return {
    line(line) {
      const changed = progress.line(line)
      if (line.startsWith('page-budget: ')) {
        if (shown) err.write('\r\u001b[K')
        shown = false
        err.write(`${line}\n`)
      } else if (changed) status()
    },
    end() {
      clearInterval(timer)
      if (shown) err.write('\n')
      shown = false
    },
  }
}

function path(request: KernelRequest, cacheDir: string | undefined): number {
  if (request.source !== undefined) throw new UsageError('kernel path finds kernels of Debian sources; for a tree, `kernel build --source DIR` prints the path (and reuses a cached build)')
  const bzImage = findBuiltKernel(cacheDir, request)
  if (!bzImage) {
    process.stderr.write('page-budget: no kernel is built for this request (recipe/page-budget.config and the options given)\n  hint: run `page-budget kernel build` with the same options (or `npm run setup`)\n')
    return 1
  }
  process.stdout.write(`${bzImage}\n`)
  return 0
}

function check(paths: string[]): number {
  if (paths.length !== 1) throw new UsageError('kernel check takes one path: a bzImage or a build directory', { hint: `usage: ${usage}` })
  const config = findKernelConfig(paths[0]!)
  if (!config) {
    process.stderr.write(`page-budget: no .config found for ${paths[0]}\n  hint: pass the build directory (with its .config); or boot it with the QEMU target, which names what the boot lacks\n`)
    return 1
  }
  const result = checkKernelConfig(config)
  process.stdout.write(`${formatKernelCheck(result).join('\n')}\n`)
  return result.missing.some((m) => m.need !== 'feature') ? 1 : 0
}
