import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'

/** Our own GPL-2.0 kernel patches (test/fixtures/bisect/), one commit each, in order. */
export const PATCHES_DIR = fileURLToPath(new URL('../../fixtures/bisect/', import.meta.url))
const PATCHES = readdirSync(PATCHES_DIR).filter((name) => name.endsWith('.patch')).sort()

/** The commits of the synthetic history, by what they do. */
export interface History {
  dir: string
  /** The Debian tree as it was unpacked. */
  imported: string
  /** page_budget_probe: the knob; holds N pages for a write of N (good). */
  probe: string
  /** A comment only (good, and what the bisection has to test). */
  comment: string
  /** Chunks of two pages: a write of N holds 2N (the regression: the first bad commit). */
  regression: string
}

/** Fixed names and dates: the same tree and patches make the same commits on every machine, so kernels built for them are found again by their cache key. */
const GIT_ENV = {
  GIT_AUTHOR_NAME: 'page-budget tests',
  GIT_AUTHOR_EMAIL: 'tests@page-budget.invalid',
  GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
  GIT_COMMITTER_NAME: 'page-budget tests',
  GIT_COMMITTER_EMAIL: 'tests@page-budget.invalid',
  GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
}

export async function git(dir: string, ...args: string[]): Promise<string> {
  const result = await execa('git', ['-C', dir, '-c', 'gc.auto=0', '-c', 'core.compression=1', ...args], { env: GIT_ENV, stdin: 'ignore' })
  return result.stdout.trim()
}

/**
 * A git history over the unpacked Debian tree (`source`, which is never written: the history's
 * tree is a hard-linked copy, and git replaces a file it changes rather than writing into it):
 * the tree as imported, then one commit per fixture patch. Made once under the cache, at a path
 * named by the source and the patches, so its build directory and kernels are reused by the
 * next run; made in a scratch directory and renamed, so an interrupted run leaves none half made.
 */
export async function syntheticHistory(cacheDir: string, source: string): Promise<History> {
  const hash = createHash('sha256').update(source)
  for (const name of PATCHES) hash.update(readFileSync(join(PATCHES_DIR, name)))
  const dir = join(cacheDir, 'sources', `bisect-proof-${basename(source)}-${hash.digest('hex').slice(0, 12)}`)
  if (!existsSync(join(dir, '.git', 'page-budget-history'))) {
    const work = `${dir}.making`
    await rm(work, { recursive: true, force: true })
    await mkdir(join(cacheDir, 'sources'), { recursive: true })
    await execa('cp', ['-al', source, work])
    await git(work, 'init', '-q', '-b', 'main')
    // Hard links share their inode's ctime with every other copy of the tree (`cp -al` changes
    // it): without this, any such copy would make git re-read all 1.8 GB to find nothing changed.
    await git(work, 'config', 'core.trustctime', 'false')
    // Debian's .gitignore ignores the whole top level (its packaging repository holds only debian/).
    await git(work, 'add', '-A', '--force')
    await git(work, 'commit', '-q', '-m', `import ${basename(source)}`)
    for (const name of PATCHES) {
      const patch = join(PATCHES_DIR, name)
      await git(work, 'apply', '--index', patch)
      await git(work, 'commit', '-q', '-m', readFileSync(patch, 'utf8').split('\n')[0]!)
    }
    await execa('touch', [join(work, '.git', 'page-budget-history')])
    await rename(work, dir)
  }
  // A run that died mid-bisection leaves it under way; the history itself is never changed.
  await git(dir, 'bisect', 'reset').catch(() => undefined)
  await git(dir, 'checkout', '-q', '--force', 'main')
  const [regression, comment, probe, imported] = (await git(dir, 'rev-list', '--max-count=4', 'main')).split('\n')
  return { dir, imported: imported!, probe: probe!, comment: comment!, regression: regression! }
}
