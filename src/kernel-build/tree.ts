import { createHash, type Hash } from 'node:crypto'
import { existsSync, realpathSync } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { execa } from 'execa'
import { KernelBuildError } from '../errors.js'

/** A kernel tree of the user's, and what its state is now. */
export interface KernelTree {
  dir: string
  /** Changes whenever a file that could reach the build changes: part of the cache key. */
  state: string
  /** The state in words, for kernel.json and messages: `git 1a2b3c4d (+ uncommitted changes)`. */
  description: string
}

/** What the kernel's own Makefile checks before an out-of-tree build (`outputmakefile`). */
const IN_TREE_BUILD = ['.config', 'include/config', 'arch/x86/include/generated']

/**
 * The user's tree, checked to be one page-budget can build out of tree: a kernel source (a
 * top-level Makefile and Kconfig, merge_config.sh) with no in-tree build, because the kernel
 * refuses `make O=` on a tree that has one and page-budget never writes the user's tree.
 */
export async function readKernelTree(path: string): Promise<KernelTree> {
  const dir = resolve(path)
  const missing = ['Makefile', 'Kconfig', 'scripts/kconfig/merge_config.sh'].filter((file) => !existsSync(join(dir, file)))
  if (missing.length > 0) {
    throw new KernelBuildError('not-a-tree', `${dir} is not a kernel source tree (no ${missing.join(', ')})`, {
      hint: 'pass --source the top of a Linux tree: the directory with the top-level Makefile and Kconfig',
    })
  }
  const built = IN_TREE_BUILD.filter((file) => existsSync(join(dir, file)))
  if (built.length > 0) {
    throw new KernelBuildError('tree-not-clean', `${dir} holds an in-tree build (${built.join(', ')}): the kernel refuses to build it out of tree (make O=), and page-budget never writes your tree`, {
      hint: `keep your config with \`cp ${join(dir, '.config')} ~/my.config\`, run \`make mrproper\` in the tree (or use a clean \`git worktree\`), then pass --config ~/my.config`,
    })
  }
  return { dir, ...(await treeState(dir)) }
}

async function treeState(dir: string): Promise<{ state: string; description: string }> {
  const git = (...args: string[]) => execa('git', ['-C', dir, ...args], { reject: false, stdin: 'ignore', encoding: 'buffer', stripFinalNewline: false })
  // Only a repository whose top is the tree: a tree unpacked inside another repository (a
  // Debian source under a project's cache) would otherwise take that repository's HEAD for its own.
  const top = await git('rev-parse', '--show-toplevel')
  const head = await git('rev-parse', '--verify', 'HEAD')
  if (top.failed || head.failed || realpathSync(Buffer.from(top.stdout).toString('utf8').trim()) !== realpathSync(dir)) {
    return { state: await fileTimes(dir), description: 'no git: file times' }
  }
  // HEAD, the uncommitted diff of tracked files, and untracked files by name, size and time.
  const [diff, untracked] = await Promise.all([git('diff', 'HEAD', '--binary'), git('ls-files', '-z', '--others', '--exclude-standard')])
  const hash = createHash('sha256').update(head.stdout).update(diff.stdout)
  const others = Buffer.from(untracked.stdout).toString('utf8').split('\0').filter(Boolean).sort()
  await hashFileTimes(hash, dir, others)
  const commit = Buffer.from(head.stdout).toString('utf8').trim().slice(0, 12)
  const dirty = diff.stdout.length > 0 || others.length > 0
  const state = hash.digest('hex')
  // A dirty tree's state hash tells two sets of uncommitted changes on one commit apart.
  return { state, description: `git ${commit}${dirty ? ` + uncommitted changes (state ${state.slice(0, 12)})` : ''}` }
}

/** Without git: every file's path, size and modification time (a tree of 80k files takes about a second). */
async function fileTimes(dir: string): Promise<string> {
  const hash = createHash('sha256')
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  const files = entries.filter((entry) => entry.isFile()).map((entry) => relative(dir, join(entry.parentPath, entry.name))).sort()
  await hashFileTimes(hash, dir, files)
  return hash.digest('hex')
}

/** Each file's path (relative to `dir`), size and modification time, into `hash`. */
async function hashFileTimes(hash: Hash, dir: string, files: readonly string[]): Promise<void> {
  for (const file of files) {
    const info = await stat(join(dir, file)).catch(() => undefined)
    hash.update(`${file}\0${info?.size ?? -1}\0${info?.mtimeMs ?? -1}\n`)
  }
}
