import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { FileMissingError, PageBudgetError } from '../errors.js'
import { fileError, openFile, requireKind } from '../format/file.js'
import { formatAllocInfo, formatShowHandles, readSeriesFileSync, SERIES_FILE, type Recorded } from '../format/recording.js'
import type { KernelFile, Target } from './types.js'

export type ReplayTargetOptions =
  | {
      /** A directory of recorded files: `show_handles`, or per step `before.show_handles`, `after.show_handles`, ... */
      dir: string
      /** The step whose files are served first (change it with `step()`). */
      step?: string
    }
  /** Recorded files named one by one (the CLI's arguments). */
  | { files: Partial<Record<KernelFile, string>> }

/** Recorded names that differ from the logical ones (a capture of /proc/version is often called uname). */
const ALIASES: Partial<Record<KernelFile, string[]>> = { version: ['uname'] }

/** Files that only grow during a boot: any step's recording answers for every step, the largest best. */
const GROWS_ONLY: ReadonlySet<KernelFile> = new Set(['show_stacks_handles', 'kallsyms'])

/**
 * Recorded debugfs files played back as a kernel. A recording holds several instants (steps);
 * `step('after')` moves the replay to the next one, the way time moves on a live kernel.
 */
export class ReplayTarget implements Target {
  readonly description: string
  readonly #dir: string
  readonly #files: string[]
  readonly #named: Partial<Record<KernelFile, string>> | undefined
  /**
   * A `page-budget record` directory's series: every sample is a step (`0`, `1`, ...) serving
   * show_handles, and allocinfo when the watch read call sites.
   */
  readonly #recorded: Recorded | undefined
  #step: string | undefined

  constructor(options: ReplayTargetOptions) {
    if ('files' in options) {
      this.#dir = '.'
      this.#files = []
      this.#named = options.files
      this.#recorded = undefined
      this.description = `replay ${Object.values(options.files).join(', ')}`
      return
    }
    this.#dir = options.dir
    this.#files = listRecording(options.dir)
    this.#recorded = this.#files.includes(SERIES_FILE) ? readSeriesFileSync(join(options.dir, SERIES_FILE)) : undefined
    this.#step = options.step
    this.description = `replay ${options.dir}`
  }

  /** Serve the files recorded for this step from now on. */
  step(name: string | undefined): this {
    if (name !== undefined && !this.#isSample(name) && !this.#files.some((f) => f.startsWith(`${name}.`))) {
      throw new FileMissingError(join(this.#dir, `${name}.*`), { hint: `recorded steps here: ${this.steps().join(', ') || 'none'}` })
    }
    this.#step = name
    return this
  }

  /** The steps this recording holds: its series' samples in order, then prefixes of recorded sample files (`after` of `after.show_handles`). */
  steps(): string[] {
    const steps = new Set<string>()
    for (const f of this.#files) {
      const match = /^(.+?)\.(show_handles|show_stacks|page_owner)(\.gz)?$/.exec(f)
      if (match) steps.add(match[1]!)
    }
    const samples = Array.from({ length: this.#recorded?.series.length ?? 0 }, (_, i) => String(i))
    return [...samples, ...[...steps].sort()]
  }

  #isSample(step: string | undefined): step is string {
    return step !== undefined && this.#recorded !== undefined && /^\d+$/.test(step) && Number(step) < this.#recorded.series.length
  }

  /** Whether this step is a recorded sample with call sites (a watch that read allocinfo, and found some site holding memory). */
  #hasSites(step: string | undefined): step is string {
    return this.#isSample(step) && (this.#recorded!.sites?.table.length ?? 0) > 0
  }

  /** The recorded file that stands for `file` at the current step, if any. */
  #resolve(file: KernelFile): string | undefined {
    if (this.#named) return this.#named[file]
    const names = [file, ...(ALIASES[file] ?? [])]
    const candidates = names.flatMap((n) => [
      ...(this.#step ? [`${this.#step}.${n}`, `${this.#step}.${n}.gz`] : []),
      n,
      `${n}.gz`,
    ])
    const found = candidates.find((c) => this.#files.includes(c))
    if (found || !GROWS_ONLY.has(file)) return found && join(this.#dir, found)
    const anyStep = this.#files
      .filter((f) => names.some((n) => f.endsWith(`.${n}`) || f.endsWith(`.${n}.gz`)))
      .map((f) => join(this.#dir, f))
      .sort((a, b) => statSync(b).size - statSync(a).size)
    return anyStep[0]
  }

  locate(file: KernelFile): string {
    return this.#resolve(file) ?? join(this.#dir, this.#step ? `${this.#step}.${file}` : file)
  }

  read(file: KernelFile): AsyncIterable<Uint8Array> {
    if (file === 'show_handles' && this.#isSample(this.#step)) return bytesOf(formatShowHandles(this.#recorded!.series.countsAt(Number(this.#step))))
    if (file === 'allocinfo' && this.#hasSites(this.#step)) return bytesOf(formatAllocInfo(this.#recorded!.sites!.countsAt(Number(this.#step)).values()))
    const path = this.#resolve(file)
    if (!path) {
      const wanted = join(this.#dir, this.#step ? `${this.#step}.${file}` : file)
      return failing(new FileMissingError(wanted, { hint: `not recorded in ${this.#dir}` }))
    }
    return openFile(path)
  }

  async exists(file: KernelFile): Promise<boolean> {
    if (file === 'show_handles' && this.#isSample(this.#step)) return true
    if (file === 'allocinfo' && this.#hasSites(this.#step)) return true
    return this.#resolve(file) !== undefined
  }

  async close(): Promise<void> {}
}

/** The names in a replay directory; a missing path, or one that is no directory, is a named error. */
function listRecording(dir: string): string[] {
  try {
    requireKind(dir, statSync(dir), 'directory')
    return readdirSync(dir)
  } catch (error) {
    if (error instanceof PageBudgetError) throw error
    throw fileError(dir, error, { hint: 'a replay target needs a directory of recorded debugfs files' })
  }
}

async function* bytesOf(text: string): AsyncIterable<Uint8Array> {
  yield Buffer.from(text)
}

async function* failing(error: Error): AsyncIterable<Uint8Array> {
  throw error
}
