import { join } from 'node:path'
import { execa } from 'execa'
import { tempDir } from '../helpers.js'

/**
 * `playwright test -c CONFIG` in a child process, its outputs (test results, the HTML report,
 * page-budget-report.json) in a fresh directory: `dir`, `report` and `html` say where.
 */
export async function runPlaywright(config: string, env: Record<string, string> = {}) {
  const dir = tempDir('page-budget-playwright-')
  const report = join(dir, 'report.json')
  const html = join(dir, 'html')
  const result = await execa('npx', ['playwright', 'test', '-c', config, '--output', join(dir, 'results')], {
    reject: false,
    all: true,
    env: { PAGE_BUDGET_REPORT: report, PAGE_BUDGET_TEST_CACHE: join(dir, 'cache'), PLAYWRIGHT_HTML_OUTPUT_DIR: html, FORCE_COLOR: '0', ...env },
  })
  return { exitCode: result.exitCode, output: result.all, dir, report, html }
}
