import { githubAnnotation } from '../report/annotations.js'
import { compareReports, formatComparison } from '../report/compare.js'
import { CliUsageError, oneOf, parse } from './args.js'
import { maxIncrease } from './check.js'
import { readReportFile } from './inputs.js'

export const usage = `page-budget compare BASE_REPORT CANDIDATE_REPORT [--max-increase 5%] [--format text|github] [--json]
  Two runs of one suite (two kernels, machines or boots), assertion by assertion: the pages each
  selector measured on both, and per stack what grew, stacks paired by their function names
  (offsets and compiler suffixes dropped; handles differ per boot), largest growth first; stacks
  on one side only are new or gone. Exits 1 when an assertion grew beyond --max-increase (a
  percentage of the base, or an amount such as '1 MiB'; default 5%). --format github prints an
  annotation at each; --json prints the comparison as JSON.`

/** `page-budget compare`: 0 when nothing grew beyond --max-increase, 1 when something did, 2 on bad arguments. */
export async function compareCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const { values, positionals } = parse({
    args: argv,
    allowPositionals: true,
    options: {
      'max-increase': { type: 'string' },
      format: { type: 'string' },
      json: { type: 'boolean' },
    },
  })
  if (positionals.length !== 2) throw new CliUsageError('compare needs BASE_REPORT and CANDIDATE_REPORT')
  const format = oneOf(values.format, '--format', ['text', 'github'] as const, 'text')
  const increase = maxIncrease(values['max-increase'] ?? '5%')
  const [base, candidate] = await Promise.all(positionals.map(readReportFile))
  const comparison = compareReports(base!, candidate!, increase)
  if (values.json) out(JSON.stringify(comparison, null, 2))
  else {
    out(formatComparison(comparison))
    if (format === 'github') for (const breach of comparison.breaches) out(githubAnnotation(breach))
    const over = comparison.breaches.length
    out(`page-budget compare: ${comparison.assertions.length} ${comparison.assertions.length === 1 ? 'assertion' : 'assertions'}: ${over ? `${over} grew beyond --max-increase` : 'none grew beyond --max-increase'}`)
  }
  return comparison.breaches.length ? 1 : 0
}
