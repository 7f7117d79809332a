import { join } from 'node:path'
import { execa } from 'execa'
import { tempDir } from '../helpers.js'

/**
 * `playwright test -c CONFIG [args]` in a child process, its outputs (test results, the HTML
 * report, the JSON report, page-budget-report.json) in a fresh directory: `dir`, `report`,
 * `json` and `html` say where.
 */
export async function runPlaywright(config: string, env: Record<string, string> = {}, args: string[] = []) {
  const dir = tempDir('page-budget-playwright-')
  const report = join(dir, 'report.json')
  const json = join(dir, 'playwright.json')
  const html = join(dir, 'html')
  const result = await execa('npx', ['playwright', 'test', '-c', config, '--output', join(dir, 'results'), ...args], {
    reject: false,
    all: true,
    env: {
      PAGE_BUDGET_REPORT: report,
      PAGE_BUDGET_TEST_CACHE: join(dir, 'cache'),
      PLAYWRIGHT_HTML_OUTPUT_DIR: html,
      PLAYWRIGHT_JSON_OUTPUT_NAME: json,
      FORCE_COLOR: '0',
      ...env,
    },
  })
  return { exitCode: result.exitCode, output: result.all, dir, report, json, html }
}
