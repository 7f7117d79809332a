import { PageBudgetError } from '../errors.js'
import { CliUsageError } from './args.js'
import { checkCommand, usage as checkUsage } from './check.js'
import { diffCommand, usage as diffUsage } from './diff.js'
import { mergeCommand, usage as mergeUsage } from './merge.js'
import { topCommand, usage as topUsage } from './top.js'
import { watchCommand, usage as watchUsage } from './watch.js'
import { recordCommand, usage as recordUsage } from './record.js'

type Command = (argv: string[], out: (text: string) => void) => Promise<number>

const COMMANDS: Record<string, { run: () => Promise<Command>; usage: string }> = {
  diff: { run: async () => diffCommand, usage: diffUsage },
  top: { run: async () => topCommand, usage: topUsage },
  watch: { run: async () => watchCommand, usage: watchUsage },
  record: { run: async () => recordCommand, usage: recordUsage },
  check: { run: async () => checkCommand, usage: checkUsage },
  merge: { run: async () => mergeCommand, usage: mergeUsage },
  kernel: {
    run: async () => (await import('../kernel-build/cli.js')).runKernelCommand,
    usage: `page-budget kernel build [--force] [--jobs N] [--cache DIR]   build (or reuse) the page_owner test kernel for QEMU
page-budget kernel path                                       print the built kernel's path`,
  },
}

const USAGE = `usage:\n${Object.values(COMMANDS).map((c) => c.usage).join('\n\n')}\n`

/** Exit codes: 0 done, 1 bad input or a failed operation (with the error), 2 bad arguments (with usage). */
export async function main(
  argv: string[],
  out: (text: string) => void = (text) => process.stdout.write(`${text}\n`),
  err: (text: string) => void = (text) => process.stderr.write(`${text}\n`),
): Promise<number> {
  const [name, ...rest] = argv
  if (name === '--help' || name === '-h' || name === 'help') {
    out(USAGE)
    return 0
  }
  const command = name ? COMMANDS[name] : undefined
  if (!command) {
    err(`${name ? `unknown command: ${name}\n` : ''}${USAGE}`)
    return 2
  }
  try {
    return await (await command.run())(rest, out)
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

