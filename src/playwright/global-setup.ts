import type { FullConfig } from '@playwright/test'
import type { PageBudgetConfig } from '../session/config.js'
import { bootSharedVms } from './shared-vm.js'

/**
 * Playwright's globalSetup (`globalSetup: pageBudgetGlobalSetup` in playwright.config): boots
 * the VM of every project whose `pageBudgetConfig` names a qemu target, once for the run, and
 * stops it when the run ends. Workers connect to it instead of booting their own.
 */
export default async function globalSetup(config: FullConfig): Promise<() => Promise<void>> {
  return bootSharedVms(config.projects.map((project) => (project.use as { pageBudgetConfig?: PageBudgetConfig }).pageBudgetConfig ?? {}))
}
