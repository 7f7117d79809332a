import { UsageError } from '../errors.js'
import { githubAnnotation } from '../report/annotations.js'
import { checkReport } from '../report/check.js'
import { summary } from '../report/summary.js'
import { toleranceAllowance, type Tolerance } from '../amount.js'
import { CliUsageError, oneOf, parse } from './args.js'
import { readReportFile } from './inputs.js'

export const usage = `page-budget check REPORT [--baseline REPORT] [--max-increase 5%] [--format text|github]
  Gate CI on a page-budget-report.json: exits 1 if an assertion failed, the run did not finish,
  or (with --baseline, an earlier run's report) an assertion measured more than the baseline plus
  --max-increase (a percentage of it, or an amount such as '1 MiB'; default 5%). --format github
  also prints workflow annotations (::error file=...,line=...::) at the failing assertions.`

/** `page-budget check`: 0 when the report passes the gate, 1 on a breach (listed), 2 on bad arguments. */
export async function checkCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const { values, positionals } = parse({
    args: argv,
    allowPositionals: true,
    options: {
      baseline: { type: 'string' },
      'max-increase': { type: 'string' },
      format: { type: 'string' },
    },
  })
  if (positionals.length !== 1) throw new CliUsageError('check needs one REPORT')
  const format = oneOf(values.format, '--format', ['text', 'github'] as const, 'text')
  const increase = maxIncrease(values['max-increase'] ?? '5%')
  const report = await readReportFile(positionals[0]!)
  const baseline = values.baseline === undefined ? undefined : await readReportFile(values.baseline)
  const result = checkReport(report, { maxIncrease: increase, ...(baseline && { baseline }) })

  const table = summary(report)
  if (table) out(table)
  if (format === 'github') for (const breach of result.breaches) out(githubAnnotation(breach))
  else for (const breach of result.breaches) out(`BREACH ${breach.location ? `${breach.location.file}:${breach.location.line}: ` : ''}${breach.message}`)
  const against = baseline ? `, ${result.compared} compared with ${values.baseline}` : ''
  const verdict = result.breaches.length ? `${result.breaches.length} ${result.breaches.length === 1 ? 'breach' : 'breaches'}` : 'no breach'
  out(`page-budget check: ${result.assertions} ${result.assertions === 1 ? 'assertion' : 'assertions'}${against}: ${verdict}`)
  return result.breaches.length ? 1 : 0
}

/** --max-increase, checked now so a typo is a usage error rather than a breach. */
export function maxIncrease(value: string): Tolerance {
  try {
    toleranceAllowance(value, { pages: 1, bytes: 4096 }, 4096)
  } catch (error) {
    if (error instanceof UsageError) throw new CliUsageError(`--max-increase: ${error.message}`)
    throw error
  }
  return value as Tolerance
}
