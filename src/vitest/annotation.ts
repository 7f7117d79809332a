import { formatAmount, formatBytes } from '../amount.js'
import { callText, type BudgetRecord } from '../verdict/record.js'

/**
 * A budget as a Vitest test annotation (`context.annotate`): the default reporter lists it under
 * a failed test, junit writes it as a property, the GitHub Actions reporter as a workflow
 * command at the assertion's line (`::error` for a broken budget, `::notice` for a kept one).
 */
export function budgetAnnotation(record: BudgetRecord): { message: string; type: 'error' | 'notice' } {
  const { pages, bytes } = record.measured
  const measured = record.calls ? `${formatBytes(bytes)} in ${record.calls.measured} calls` : formatAmount(pages, pages ? bytes / pages : 0)
  const expected = `${record.negated ? 'not ' : ''}${record.expected}`
  return {
    message: `page-budget: expect(pageOwner)${callText(record)} on ${record.selector}: ${measured}, expected ${expected}`,
    type: record.held ? 'notice' : 'error',
  }
}
