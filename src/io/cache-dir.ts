import { homedir } from 'node:os'
import { join } from 'node:path'

/**
 * page-budget's cache (test kernels, guest images, stacks, locks): $PAGE_BUDGET_CACHE, else
 * $XDG_CACHE_HOME/page-budget, else ~/.cache/page-budget. Empty variables count as unset.
 */
export function defaultCacheDir(): string {
  const env = process.env
  if (env.PAGE_BUDGET_CACHE) return env.PAGE_BUDGET_CACHE
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'page-budget')
}
