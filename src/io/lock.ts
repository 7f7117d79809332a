import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { TargetError } from '../errors.js'

export interface Lock {
  release(): Promise<void>
}

/** Holders inside this process, so concurrent tests in one worker queue instead of deadlocking. */
const local = new Map<string, Promise<void>>()

/**
 * A lock shared by every process on this machine (Vitest workers): measured sections hold it,
 * so no test's delta ever contains another test's pages. `mkdir` is atomic; the owner's pid is
 * written inside, and a lock whose owner died is taken over instead of waited on forever.
 */
export async function acquireLock(dir: string, options: { timeout?: number; what?: string } = {}): Promise<Lock> {
  const previous = local.get(dir) ?? Promise.resolve()
  let releaseLocal!: () => void
  const mine = new Promise<void>((resolve) => (releaseLocal = resolve))
  const chained = previous.then(() => mine)
  local.set(dir, chained)
  await previous
  try {
    await acquireDirLock(dir, options.timeout ?? 600_000, options.what ?? 'measured section')
  } catch (error) {
    releaseLocal()
    throw error
  }
  let released = false
  return {
    async release() {
      if (released) return
      released = true
      await rm(dir, { recursive: true, force: true })
      if (local.get(dir) === chained) local.delete(dir)
      releaseLocal()
    },
  }
}

async function acquireDirLock(dir: string, timeout: number, what: string): Promise<void> {
  const deadline = Date.now() + timeout
  for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
    try {
      await mkdir(dir, { recursive: false })
      await writeFile(join(dir, 'owner'), String(process.pid))
      return
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        await mkdir(join(dir, '..'), { recursive: true })
        continue
      }
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    if (await ownerIsDead(dir)) {
      await rm(dir, { recursive: true, force: true })
      continue
    }
    if (Date.now() > deadline) {
      throw new TargetError(`waited ${Math.round(timeout / 1000)} s for another process's ${what} (lock ${dir})`, {
        hint: `if no page-budget run is active, remove ${dir}`,
      })
    }
    await new Promise((resolve) => setTimeout(resolve, wait))
  }
}

async function ownerIsDead(dir: string): Promise<boolean> {
  const pid = Number(await readFile(join(dir, 'owner'), 'utf8').catch(() => ''))
  // No owner file yet: the holder is between mkdir and writeFile; give it time.
  if (!pid) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}
