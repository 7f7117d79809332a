import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { writeFileAtomic } from '../io/atomic.js'
import { privateDir } from '../io/cache-dir.js'
import type { Fragment } from './request.js'
import type { BuildLog } from './run.js'

/**
 * The build directory (`make O=`) for a source tree and a configuration: one per pair, so two
 * configurations of one tree (the recipe, and the recipe without page_owner) each stay
 * incremental instead of undoing each other's objects; a tree's next commit reuses its
 * configuration's directory. A new one starts from a copy of the first one this tree was built
 * in, or else `base`'s, where `sourceDir` is a hard-linked copy of `base` (patch.ts makes one
 * per patch set): only what the new configuration or the patches change is compiled. The first
 * rather than the latest, because a tree's first build is its usual configuration, which the
 * others are variations of: the test kernel's, not the one built without page_owner (whose
 * change reaches sched.h, so nearly every file).
 */
export async function prepareBuildDir(cacheDir: string, sourceDir: string, fragments: readonly Fragment[], log: BuildLog, base?: string): Promise<string> {
  const buildDir = await privateDir(join(cacheDir, 'build'))
  const config = createHash('sha256')
  for (const fragment of fragments) config.update(`${fragment.text}\0`)
  const objectDir = join(buildDir, `${treeKey(sourceDir)}-${config.digest('hex').slice(0, 8)}`)
  for (const from of [sourceDir, ...(base === undefined ? [] : [base])]) {
    const seed = seedOf(buildDir, from)
    if (seed !== undefined && (await seedBuildDir({ source: from, objectDir: seed }, { source: sourceDir, objectDir }, log))) break
  }
  return objectDir
}

/** After a build succeeded in `objectDir`: if it is the tree's first, the one its new configurations start from. */
export async function rememberBuilt(cacheDir: string, sourceDir: string, objectDir: string): Promise<void> {
  const buildDir = join(cacheDir, 'build')
  const seed = seedOf(buildDir, sourceDir)
  if (seed === undefined || !existsSync(join(seed, '.config'))) await writeFileAtomic(seedPointer(buildDir, sourceDir), `${objectDir}\n`)
}

function seedOf(buildDir: string, sourceDir: string): string | undefined {
  const pointer = seedPointer(buildDir, sourceDir)
  return existsSync(pointer) ? readFileSync(pointer, 'utf8').trim() : undefined
}

function seedPointer(buildDir: string, sourceDir: string): string {
  return join(buildDir, `${treeKey(sourceDir)}.seed`)
}

function treeKey(sourceDir: string): string {
  return createHash('sha256').update(sourceDir).digest('hex').slice(0, 16)
}

/** A source tree and the build directory (`make O=`) that belongs to it. */
export interface TreeBuild {
  source: string
  objectDir: string
}

/**
 * Starts a new build directory from a copy of another, of the same tree or of the tree a patched
 * copy was made from (patch.ts: hard links to `base.source`): minutes instead of a full build.
 *
 * kbuild records every command and dependency with absolute paths (in each target's `.cmd` file,
 * and `.d` files): the build directory's own, and for a patched copy the source tree's. Both are
 * rewritten to the new ones; the files keep their times. Then make sees what a build of the patched tree
 * would have left, and its usual checks decide: a file a patch replaced is newer than its object
 * and is compiled again, with everything that depends on it; an unchanged file (a hard link, with
 * the base's time) is not. Every record is rewritten: a dependency left on the base tree would
 * hide a patched file from make.
 *
 * Returns false (a full build follows) when the base holds no configured build or the target exists.
 */
async function seedBuildDir(base: TreeBuild, target: TreeBuild, log: BuildLog): Promise<boolean> {
  if (existsSync(target.objectDir) || !existsSync(join(base.objectDir, '.config'))) return false
  log.note(`starting from a copy of ${base.objectDir}`)
  const work = await mkdtemp(join(dirname(target.objectDir), '.seeding-'))
  try {
    await log.step('cp', ['-a', '--reflink=auto', `${base.objectDir}/.`, work])
    // The build directory's own path too: objtool's build (tools/) names its objects by it, and
    // a changed command there relinks objtool, which every object depends on.
    const moves: Array<[string, string]> = [[base.objectDir, target.objectDir], ...(base.source === target.source ? [] : [[base.source, target.source] as [string, string]])]
    const rewritten = await relocate(work, moves)
    log.note(`rewrote ${rewritten} kbuild records: ${moves.map(([from, to]) => `${from} -> ${to}`).join(', ')}`)
    await rename(work, target.objectDir)
    return true
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/** The files kbuild keeps commands and dependencies in. */
const RECORD = /\.(cmd|d)$/

/** Rewrites each `from` to its `to` in every kbuild record under `dir`, keeping each file's times; returns how many changed. */
async function relocate(dir: string, moves: ReadonlyArray<readonly [string, string]>): Promise<number> {
  // A path ends at a separator, never inside a longer name (linux-source-7.2 in linux-source-7.2-other).
  const patterns = moves.map(([from, to]) => [new RegExp(`${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=[/\\s"':;]|$)`, 'gm'), to] as const)
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  let changed = 0
  for (const entry of entries) {
    if (!entry.isFile() || !RECORD.test(entry.name)) continue
    const file = join(entry.parentPath, entry.name)
    // Latin-1 maps bytes to characters one to one, so any file comes back byte for byte.
    const text = await readFile(file, 'latin1')
    const moved = patterns.reduce((current, [pattern, to]) => current.replace(pattern, () => to), text)
    if (moved === text) continue
    const { atime, mtime } = await stat(file)
    await writeFile(file, moved, 'latin1')
    await utimes(file, atime, mtime)
    changed++
  }
  return changed
}
