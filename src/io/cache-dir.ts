import { chmod, mkdir, mkdtemp, stat } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { UnsafeDirectoryError } from '../errors.js'

/**
 * page-budget's cache (test kernels, guest images, stacks, locks): $PAGE_BUDGET_CACHE, else
 * $XDG_CACHE_HOME/page-budget, else ~/.cache/page-budget. Empty variables count as unset.
 */
export function defaultCacheDir(): string {
  const env = process.env
  if (env.PAGE_BUDGET_CACHE) return env.PAGE_BUDGET_CACHE
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'page-budget')
}

/**
 * Makes `path` a directory that no other user can change, and returns it. Every directory it
 * creates (missing parents too) is 0700, whatever the umask.
 *
 * One that already exists and that group or others may write to is tightened (go-w) when it is
 * this user's and not sticky: an older page-budget, or a umask of 002, made it so, and a cache
 * needs no other writers. Anything else writable by others (sticky like /tmp, or another user's)
 * is refused: it is shared on purpose, and changing its mode would break whoever shares it.
 * A directory others may only read is left as it is: what must stay private in it has its own
 * mode (lock files are 0600, the broker's socket lives in a 0700 temporary directory).
 */
export async function privateDir(path: string): Promise<string> {
  const target = resolve(path)
  const first = await mkdir(target, { recursive: true, mode: 0o700 })
  if (first !== undefined) {
    // mkdir's mode goes through the umask, which may even take the owner's own bits away.
    for (let dir = target; ; dir = dirname(dir)) {
      await chmod(dir, 0o700)
      if (dir === first) return path
    }
  }
  const { mode, uid } = await stat(target)
  if ((mode & 0o022) === 0) return path
  if (uid === process.getuid?.() && (mode & 0o1000) === 0) {
    await chmod(target, mode & 0o7755)
    return path
  }
  throw new UnsafeDirectoryError(path, `${path} can be written by other users (mode ${(mode & 0o7777).toString(8)}, owner uid ${uid}), so they could replace what page-budget keeps there`, {
    hint: `make it writable by its owner only (chmod go-w ${path}), or point page-budget at a directory of your own (PAGE_BUDGET_CACHE, the cacheDir option)`,
  })
}

/** A new directory under the system's temporary directory, 0700 whatever the umask (mkdtemp's 0700 goes through it). */
export async function privateTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  await chmod(dir, 0o700)
  return dir
}
