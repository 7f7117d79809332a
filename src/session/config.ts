import type { TargetOptions } from '../target/options.js'
import type { SessionOptions } from './options.js'

/**
 * Everything a project configures once (vitest.config / playwright.config): where the kernel is
 * and the session policies. JSON-serialisable, because it travels to worker processes.
 */
export interface PageBudgetConfig extends Omit<SessionOptions, 'log'> {
  /** Default: the local kernel's debugfs, or PAGE_BUDGET_TARGET (a JSON TargetOptions) when set. */
  target?: TargetOptions
}

/** The target a config names, with the environment's say where the config is silent. */
export function resolveTargetOptions(config: PageBudgetConfig): TargetOptions {
  if (config.target) return config.target
  const fromEnv = process.env.PAGE_BUDGET_TARGET
  return fromEnv ? (JSON.parse(fromEnv) as TargetOptions) : { kind: 'local' }
}
