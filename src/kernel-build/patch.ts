import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { KernelBuildError } from '../errors.js'
import type { BuildLog } from './run.js'

/**
 * A source tree with patches applied, made once per tree and patch set under the cache:
 * `cp -al` links every file of the tree (seconds, no space), and `patch` replaces each file it
 * changes with a new one, so the original tree, the user's or Debian's, is never written.
 */
export async function patchedTree(sourceDir: string, patches: readonly string[], cacheDir: string, log: BuildLog): Promise<string> {
  const texts = patches.map((path) => {
    try {
      return readFileSync(resolve(path))
    } catch (cause) {
      throw new KernelBuildError('bad-option', `cannot read the patch ${path}`, { hint: 'pass --patch a file `git format-patch` or `diff -u` wrote', cause })
    }
  })
  const hash = createHash('sha256').update(sourceDir)
  for (const text of texts) hash.update(text)
  const dir = join(cacheDir, 'sources', `patched-${basename(sourceDir)}-${hash.digest('hex').slice(0, 12)}`)
  if (existsSync(dir)) return dir
  await mkdir(join(cacheDir, 'sources'), { recursive: true })
  const work = await mkdtemp(join(cacheDir, 'sources', '.patching-'))
  try {
    log.note(`applying ${patches.length} patch${patches.length === 1 ? '' : 'es'} to a linked copy of ${sourceDir}`)
    await log.step('cp', ['-al', `${sourceDir}/.`, work])
    for (const path of patches) {
      try {
        // --backup-if-mismatch off and no .orig files: the tree stays what the patches make it.
        await log.step('patch', ['-p1', '--forward', '--batch', '--no-backup-if-mismatch', '-d', work, '-i', resolve(path)])
      } catch (cause) {
        throw new KernelBuildError('patch-failed', `${path} does not apply to ${sourceDir}\n${(cause as Error).message}`, {
          hint: 'the patch was written for another kernel version: pick a source it applies to (its header says which), or rebase it',
          cause,
          log: log.path,
        })
      }
    }
    await rename(work, dir)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  return dir
}
