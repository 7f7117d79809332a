import { fileURLToPath } from 'node:url'
import type { PageBudgetConfig } from '../session/config.js'

/** The globalSetup beside this file, in whichever form (.ts source or .js build) is running. */
const globalSetup = fileURLToPath(new URL(`./global-setup${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url))

/**
 * `plugins: [pageBudget({ target: { kind: 'qemu' } })]` in vitest.config: passes the config to
 * every worker, and for a qemu target boots one VM for the whole run (globalSetup) that all
 * workers share.
 */
export function pageBudget(config: PageBudgetConfig = {}) {
  return {
    name: 'page-budget',
    config: () => ({
      test: {
        globalSetup: [globalSetup],
        provide: { pageBudgetConfig: config },
      },
    }),
  }
}
