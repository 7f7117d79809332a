import { writeFileAtomic } from '../io/atomic.js'
import { mergeReports } from '../report/merge.js'
import { summary } from '../report/summary.js'
import { CliUsageError, parse } from './args.js'
import { readReportFile } from './inputs.js'

export const usage = `page-budget merge REPORT... --output FILE
  One report from the per-shard reports of a sharded run (vitest --shard=i/n,
  playwright test --shard=i/n); then gate on it with page-budget check.`

/** `page-budget merge`: writes the merged report atomically and prints its table. */
export async function mergeCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const { values, positionals } = parse({
    args: argv,
    allowPositionals: true,
    options: { output: { type: 'string', short: 'o' } },
  })
  if (positionals.length === 0) throw new CliUsageError('merge needs at least one REPORT')
  if (!values.output) throw new CliUsageError('merge needs --output FILE')
  const reports = await Promise.all(positionals.map(async (path) => ({ path, report: await readReportFile(path) })))
  const merged = mergeReports(reports)
  await writeFileAtomic(values.output, `${JSON.stringify(merged, null, 2)}\n`)
  const table = summary(merged)
  out(`page-budget merge: ${merged.tests.length} tests from ${reports.length} reports into ${values.output}${table ? `\n\n${table}` : ''}`)
  return 0
}
