import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The 7.2.13 capture: dd of 256 MiB to tmpfs (steps before, after, freed). */
export const CAPTURE = fileURLToPath(new URL('./fixtures/linux-7.2.13-tmpfs-dd-256M', import.meta.url))

/** The shmem write stack that dd's pages landed on in that capture. */
export const DD_HANDLE = 1572869

export function tempDir(prefix = 'page-budget-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** Failure messages without terminal colors or wall-clock times, for snapshots. */
export function plain(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, '').replace(/\b\d+\.\d s\b/g, '… s')
}

/** The lines of a failure message's stack entry: its headline (matched by `headline`) and the frames under it. */
export function stackEntry(message: string, headline: RegExp): string[] {
  const lines = message.split('\n')
  const start = lines.findIndex((line) => headline.test(line))
  if (start < 0) return []
  const frames = lines.slice(start + 1).findIndex((line) => !line.startsWith('      '))
  return lines.slice(start, frames < 0 ? undefined : start + 1 + frames).map((line) => line.trim())
}

/** The error a promise rejects with; throws if it resolved, or rejected with something not an Error. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  if (!(error instanceof Error)) throw new Error('expected the promise to reject with an Error')
  return error
}

/** The message of an assertion that must fail, colors and times stripped; throws if it passed. */
export async function failure(promise: Promise<unknown>): Promise<string> {
  return plain((await rejection(promise)).message)
}
