import { PageBudgetError } from '../errors.js'
import { CliUsageError } from './args.js'

type Command = (argv: string[], out: (text: string) => void) => Promise<number>

/**
 * Each command is imported when it runs: loading all of them (zod schemas, the watch view, the
 * kernel builder) costs a third of a second before `top` reads its first byte.
 */
const COMMANDS: Record<string, () => Promise<{ run: Command; usage: string }>> = {
  diff: async () => ((m) => ({ run: m.diffCommand, usage: m.usage }))(await import('./diff.js')),
  top: async () => ((m) => ({ run: m.topCommand, usage: m.usage }))(await import('./top.js')),
  watch: async () => ((m) => ({ run: m.watchCommand, usage: m.usage }))(await import('./watch.js')),
  record: async () => ((m) => ({ run: m.recordCommand, usage: m.usage }))(await import('./record.js')),
  check: async () => ((m) => ({ run: m.checkCommand, usage: m.usage }))(await import('./check.js')),
  merge: async () => ((m) => ({ run: m.mergeCommand, usage: m.usage }))(await import('./merge.js')),
  compare: async () => ((m) => ({ run: m.compareCommand, usage: m.usage }))(await import('./compare.js')),
  run: async () => ((m) => ({ run: m.runCommand, usage: m.usage }))(await import('./run.js')),
  kernel: async () => ((m) => ({ run: m.runKernelCommand, usage: m.usage }))(await import('../kernel-build/cli.js')),
}

async function usageOfAll(): Promise<string> {
  const all = await Promise.all(Object.values(COMMANDS).map(async (load) => (await load()).usage))
  return `usage:\n${all.join('\n\n')}\n`
}

/** Exit codes: 0 done, 1 bad input or a failed operation (with the error), 2 bad arguments (with usage). */
export async function main(
  argv: string[],
  out: (text: string) => void = (text) => process.stdout.write(`${text}\n`),
  err: (text: string) => void = (text) => process.stderr.write(`${text}\n`),
): Promise<number> {
  const [name, ...rest] = argv
  if (name === '--help' || name === '-h' || name === 'help') {
    out(await usageOfAll())
    return 0
  }
  const load = name ? COMMANDS[name] : undefined
  if (!load) {
    err(`${name ? `unknown command: ${name}\n` : ''}${await usageOfAll()}`)
    return 2
  }
  const command = await load()
  try {
    return await command.run(rest, out)
  } catch (error) {
    if (error instanceof CliUsageError) {
      err(`page-budget ${name}: ${error.message}\n\nusage:\n${command.usage}`)
      return 2
    }
    if (error instanceof PageBudgetError) {
      err(`page-budget ${name}: ${error.message}`)
      return 1
    }
    throw error
  }
}

