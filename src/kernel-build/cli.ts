import { parseArgs } from 'node:util'
import { PageBudgetError, UsageError } from '../errors.js'
import { buildKernel, findBuiltKernel } from './build.js'

const USAGE = `usage: page-budget kernel build [--force] [--jobs N] [--cache DIR]
       page-budget kernel path [--cache DIR]`

/**
 * `page-budget kernel build` builds or reuses the page_owner test kernel, streaming the build to
 * stderr and printing the bzImage path on stdout; `page-budget kernel path` prints the cached
 * path, for scripts. argv starts after `kernel`. Resolves to the exit code.
 */
export async function runKernelCommand(argv: string[]): Promise<number> {
  try {
    const { positionals, values } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        force: { type: 'boolean', default: false },
        jobs: { type: 'string' },
        cache: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    })
    const [command, ...extra] = positionals
    if (values.help) {
      process.stdout.write(`${USAGE}\n`)
      return 0
    }
    if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`, { hint: USAGE })
    if (command === 'build') return await build(values.cache, values.jobs, values.force)
    if (command === 'path') return path(values.cache)
    throw new UsageError(command ? `unknown kernel command ${command}` : 'missing kernel command', { hint: USAGE })
  } catch (error) {
    // parseArgs reports unknown or malformed options with a plain TypeError carrying a code.
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`page-budget: ${error.message}\n${USAGE}\n`)
      return 2
    }
    if (!(error instanceof PageBudgetError)) throw error
    process.stderr.write(`page-budget: ${error.message}\n`)
    return error instanceof UsageError ? 2 : 1
  }
}

async function build(cacheDir: string | undefined, jobsText: string | undefined, force: boolean): Promise<number> {
  const jobs = jobsText === undefined ? undefined : Number(jobsText)
  if (jobs !== undefined && !(Number.isInteger(jobs) && jobs > 0)) {
    throw new UsageError(`--jobs wants a positive whole number, got ${jobsText}`)
  }
  const result = await buildKernel({
    cacheDir,
    jobs,
    force,
    onProgress: (line) => process.stderr.write(`${line}\n`),
  })
  const how = result.reused ? 'reused' : `built in ${Math.round(result.seconds)} s`
  process.stderr.write(`page-budget: kernel ${result.version} ${how}\n`)
  process.stdout.write(`${result.bzImage}\n`)
  return 0
}

function path(cacheDir: string | undefined): number {
  const bzImage = findBuiltKernel(cacheDir)
  if (!bzImage) {
    process.stderr.write('page-budget: no test kernel is built for this recipe/page-budget.config\n  hint: run `page-budget kernel build` (or `npm run setup`)\n')
    return 1
  }
  process.stdout.write(`${bzImage}\n`)
  return 0
}
