import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { BuildLog } from './run.js'

/** A source tree and the build directory (`make O=`) that belongs to it. */
export interface TreeBuild {
  source: string
  objectDir: string
}

/**
 * Starts the first build of a patched tree (patch.ts: a hard-linked copy of `base.source`) from a
 * copy of its base tree's build directory, so only what the patches touch is compiled: minutes
 * instead of a full build.
 *
 * kbuild records every command and dependency with the source tree's absolute path (in each
 * target's `.cmd` file, and `.d` files), so the copy's paths are rewritten from the base tree to
 * the patched one; the files keep their times. Then make sees what a build of the patched tree
 * would have left, and its usual checks decide: a file a patch replaced is newer than its object
 * and is compiled again, with everything that depends on it; an unchanged file (a hard link, with
 * the base's time) is not. Every record is rewritten: a dependency left on the base tree would
 * hide a patched file from make.
 *
 * Returns false (a full build follows) when the base was never built or the target exists.
 */
export async function seedBuildDir(base: TreeBuild, target: TreeBuild, log: BuildLog): Promise<boolean> {
  if (existsSync(target.objectDir) || !existsSync(join(base.objectDir, '.config'))) return false
  log.note(`starting from a copy of ${base.objectDir}, the build directory of the unpatched tree`)
  const work = await mkdtemp(join(dirname(target.objectDir), '.seeding-'))
  try {
    await log.step('cp', ['-a', '--reflink=auto', `${base.objectDir}/.`, work])
    const rewritten = await relocate(work, base.source, target.source)
    log.note(`rewrote ${rewritten} kbuild records from ${base.source} to ${target.source}`)
    await rename(work, target.objectDir)
    return true
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/** The files kbuild keeps commands and dependencies in. */
const RECORD = /\.(cmd|d)$/

/** Rewrites `from` to `to` in every kbuild record under `dir`, keeping each file's times; returns how many changed. */
async function relocate(dir: string, from: string, to: string): Promise<number> {
  // Latin-1 maps bytes to characters one to one, so any file comes back byte for byte.
  const path = new RegExp(`${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=[/\\s"':;]|$)`, 'gm')
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  let changed = 0
  for (const entry of entries) {
    if (!entry.isFile() || !RECORD.test(entry.name)) continue
    const file = join(entry.parentPath, entry.name)
    const text = await readFile(file, 'latin1')
    const moved = text.replace(path, to)
    if (moved === text) continue
    const { atime, mtime } = await stat(file)
    await writeFile(file, moved, 'latin1')
    await utimes(file, atime, mtime)
    changed++
  }
  return changed
}
