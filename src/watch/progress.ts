import type { KernelFile, Target } from '../target/types.js'

/** Files whose reads can take seconds: the per-page file above all (45 MB for a 1 GB guest). */
const LONG: ReadonlySet<KernelFile> = new Set(['page_owner', 'swap_page_owner', 'show_stacks', 'show_stacks_handles'])
/** A read shorter than this shows nothing: progress that flickers past is noise. */
const QUIET_MS = 400
const EVERY_MS = 200

/**
 * The target, with long reads reporting their progress on one terminal line (`reading
 * page_owner: 12.3 MB, 8.1 MB/s`) that is erased when the read ends. For a terminal only: the
 * caller passes `write` only when stderr is a TTY.
 */
export function withReadProgress(target: Target, write: (text: string) => void, now: () => number = Date.now): Target {
  return {
    description: target.description,
    ...(target.locate && { locate: (file: KernelFile) => target.locate!(file) }),
    read(file) {
      const source = target.read(file)
      return LONG.has(file) ? reported(file, source, write, now) : source
    },
    exists: (file) => target.exists(file),
    ...(target.write && { write: (file: KernelFile, text: string) => target.write!(file, text) }),
    ...(target.exec && { exec: (command: string, options?: Parameters<NonNullable<Target['exec']>>[1]) => target.exec!(command, options) }),
    close: () => target.close(),
  }
}

async function* reported(file: KernelFile, source: ReturnType<Target['read']>, write: (text: string) => void, now: () => number): AsyncIterable<Uint8Array | string> {
  const start = now()
  let bytes = 0
  let shownAt = 0
  try {
    for await (const chunk of source) {
      bytes += chunk.length
      const t = now()
      if (t - start >= QUIET_MS && t - shownAt >= EVERY_MS) {
        shownAt = t
        write(`\r\x1b[Kreading ${file}: ${(bytes / 1e6).toFixed(1)} MB, ${(bytes / 1e6 / ((t - start) / 1000)).toFixed(1)} MB/s`)
      }
      yield chunk
    }
  } finally {
    if (shownAt > 0) write('\r\x1b[K')
  }
}
