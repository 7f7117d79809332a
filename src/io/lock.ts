import { spawn } from 'node:child_process'
import { constants } from 'node:fs'
import { open, readFile, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { LockTimeoutError, MissingToolError, TargetError } from '../errors.js'
import { privateDir } from './cache-dir.js'

export interface Lock {
  release(): Promise<void>
}

/** How often a lock directory left by an older page-budget, whose owner still runs, is looked at again. */
const LEGACY_POLL_MS = 100

/**
 * A lock shared by every process on this machine (Vitest workers) and by every caller within
 * one: measured sections hold it, so no test's delta ever contains another test's pages.
 *
 * It is flock(2) on the file at `path`. Node has no flock, so util-linux's `flock` command takes
 * it on a descriptor this process opened and hands the child as its fd 3. A flock lock belongs to
 * the open file description, not to the process that asked: it stays held through this process's
 * descriptor after the child exits, and ends when that descriptor closes, on release() or because
 * the process died however it died. So there is no owner to check and no stale lock to take over
 * (which two waiters could both do at once). Each call opens the file anew, and two opens are two
 * descriptions, so callers in one process exclude each other as processes do. (An abstract unix
 * socket also ends with its process and needs no child, but any user on the machine may bind it.)
 *
 * The holder unlinks the file before it lets go, so no lock file outlives its section (one beside
 * a baseline file would show in `git status`). A waiter that then gets the unlinked file sees it is
 * no longer the one at `path` and opens `path` again.
 */
export async function acquireLock(path: string, options: { timeout?: number; what?: string } = {}): Promise<Lock> {
  const timeout = options.timeout ?? 600_000
  const deadline = Date.now() + timeout
  const timedOut = (): LockTimeoutError =>
    new LockTimeoutError(path, `waited ${timeout < 1000 ? `${timeout} ms` : `${Math.round(timeout / 1000)} s`} for another process's ${options.what ?? 'measured section'} (lock ${path})`, {
      // find prints /proc/<pid>/fd/<n> for each process that has the file open: the holder and any waiters.
      hint: `a running process holds it (the lock ends with its holder, so it is never stale): find /proc/[0-9]*/fd -lname ${resolve(path)} names the processes that have it open`,
    })
  await privateDir(dirname(path))
  for (;;) {
    const handle = await openLockFile(path)
    if (!handle) {
      if (Date.now() >= deadline) throw timedOut()
      await sleep(LEGACY_POLL_MS)
      continue
    }
    const outcome = await lockIfCurrent(handle, path, deadline - Date.now()).catch(async (error: unknown) => {
      await handle.close()
      throw error
    })
    if (outcome === 'held') return heldLock(handle, path)
    await handle.close()
    if (outcome === 'timeout') throw timedOut()
  }
}

/** The lock file, created if missing; undefined while an older page-budget's lock directory stands at `path`. */
async function openLockFile(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600)
  } catch (error) {
    if (errorCode(error) !== 'EISDIR') throw error
    return (await removeLegacyLock(path)) ? openLockFile(path) : undefined
  }
}

/** Takes the flock within `ms`, then checks that the file is still the one at `path` (its last holder may have unlinked it). */
async function lockIfCurrent(handle: FileHandle, path: string, ms: number): Promise<'held' | 'unlinked' | 'timeout'> {
  // open's mode went through the umask; others must not even open it, since opening is all a flock takes.
  await handle.chmod(0o600)
  if (!(await flock(handle.fd, ms))) return 'timeout'
  const [mine, current] = await Promise.all([
    handle.stat({ bigint: true }),
    stat(path, { bigint: true }).catch(ignoreMissing),
  ])
  return current?.dev === mine.dev && current.ino === mine.ino ? 'held' : 'unlinked'
}

/** Runs `flock --wait` on this process's descriptor: true once the lock is held, false when `ms` ran out first (exit 1). */
function flock(fd: number, ms: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    // --wait 0 is a single try that does not block.
    const child = spawn('flock', ['--exclusive', '--wait', (Math.max(0, ms) / 1000).toFixed(3), '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] })
    let stderr = ''
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text))
    child.once('error', (error) => {
      reject(errorCode(error) === 'ENOENT'
        ? new MissingToolError('flock', "page-budget's cross-process lock needs the flock command, which is not on PATH", { hint: 'apt-get install util-linux', cause: error })
        : new TargetError(`could not run flock: ${error.message}`, { cause: error }))
    })
    child.once('close', (code, signal) => {
      if (code === 0 || code === 1) resolve(code === 0)
      else reject(new TargetError(`flock ended with ${signal ?? `exit ${code}`}${stderr ? `: ${stderr.trim()}` : ''}`))
    })
  })
}

function heldLock(handle: FileHandle, path: string): Lock {
  let released: Promise<void> | undefined
  const release = async (): Promise<void> => {
    try {
      // Still held while it is unlinked: nobody can lock the file at `path` and then lose it to this one.
      await unlink(path).catch(ignoreMissing)
    } finally {
      await handle.close()
    }
  }
  return { release: () => (released ??= release()) }
}

/**
 * Before flock, page-budget locked by creating a directory at the same path, with its owner's pid
 * inside. One whose owner is dead (a killed run left it) is removed; while the owner runs, an
 * older page-budget is inside its section, and this one waits (an older one waits in turn while
 * this lock's file exists, as its mkdir fails). Only unlink and rmdir are used, so a lock file put
 * there meanwhile is never removed.
 */
async function removeLegacyLock(path: string): Promise<boolean> {
  const pid = Number(await readFile(join(path, 'owner'), 'utf8').catch(() => ''))
  if (pid && isAlive(pid)) return false
  try {
    await unlink(join(path, 'owner')).catch(ignoreMissing)
    await rmdir(path)
  } catch (error) {
    const code = errorCode(error)
    // ENOTEMPTY: its owner wrote its pid just now.
    if (code === 'ENOTEMPTY') return false
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error
  }
  return true
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return errorCode(error) !== 'ESRCH'
  }
}

function ignoreMissing(error: unknown): undefined {
  if (errorCode(error) !== 'ENOENT') throw error
  return undefined
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code
}
