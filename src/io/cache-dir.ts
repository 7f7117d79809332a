import { homedir } from 'node:os'
import { join } from 'node:path'

/** page-budget's cache (kernels, guest images, stacks, locks): $PAGE_BUDGET_CACHE, else the XDG cache. */
export function defaultCacheDir(): string {
  return process.env.PAGE_BUDGET_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'page-budget')
}
