import { readFile } from 'node:fs/promises'
import { UnknownStackError } from '../errors.js'
import { parseFrame } from '../format/frame.js'
import { frameLines, framesOfText, stackText } from '../format/stack-key.js'
import { parseShowStacksHandles } from '../format/stacks.js'
import type { Frame } from '../format/types.js'
import { writeFileAtomic } from '../io/atomic.js'
import { where } from '../target/read.js'
import type { Target } from '../target/types.js'

export interface StacksStats {
  /** Times show_stacks_handles was read from the kernel. */
  kernelReads: number
  /** Stacks added from the kernel or from another worker's cache file. */
  learned: number
  /** Keys asked for, and how many were already known. */
  lookups: number
  hits: number
}

interface CacheFile {
  version: 1
  bootId: string
  stacks: Record<string, string[]>
}

/**
 * Stack key -> frames for one boot. Handles are stack-depot handles: stable for a boot, never
 * reused within it, meaningless in the next one, so the cache (and its file) is keyed by boot id.
 * Only keys whose page counts changed are ever resolved; a key nobody knows triggers one fresh
 * read of show_stacks_handles (new stacks appear over time), and is an error only when `strict`.
 */
export class StacksCache {
  readonly bootId: string
  readonly stats: StacksStats = { kernelReads: 0, learned: 0, lookups: 0, hits: 0 }
  readonly #target: Target
  readonly #file: string | undefined
  readonly #frames = new Map<number, Frame[]>()
  /** Fallback-path stacks kept as text until someone needs their frames. */
  readonly #texts = new Map<number, string>()
  /** Frames text -> key, rebuilt when stacks were added since. */
  #index: Map<string, number> | undefined
  #dirty = false
  readonly #strict: boolean

  /**
   * `strict` is for recorded files: a stacks file read after a sample, in the same boot, lists
   * every handle of the sample, so a handle it lacks on a fresh read means the two do not belong
   * together, and resolve() throws an UnknownStackError instead of answering `undefined`.
   */
  constructor(target: Target, bootId: string, file?: string, options: { strict?: boolean } = {}) {
    this.#target = target
    this.bootId = bootId
    this.#file = file
    this.#strict = options.strict ?? false
  }

  /** Whether the frames of `key` are known without asking the kernel. */
  has(key: number): boolean {
    return this.#known(key)
  }

  learnText(key: number, text: string): void {
    if (!this.#frames.has(key) && !this.#texts.has(key)) this.#texts.set(key, text)
  }

  learnFrames(key: number, frames: Frame[]): void {
    if (!this.#frames.has(key)) this.#frames.set(key, frames)
  }

  /** Frames for each key; `undefined` for a key the kernel itself no longer lists (an UnknownStackError when `strict`). */
  async resolve(keys: Iterable<number>): Promise<Map<number, Frame[] | undefined>> {
    const wanted = [...keys]
    this.stats.lookups += wanted.length
    let missing = wanted.filter((key) => !this.#known(key))
    this.stats.hits += wanted.length - missing.length
    if (missing.length > 0 && this.#file) {
      await this.#loadFile()
      missing = missing.filter((key) => !this.#known(key))
    }
    if (missing.length > 0 && (await this.#target.exists('show_stacks_handles'))) {
      await this.#readKernel()
    }
    if (this.#dirty && this.#file) await this.#save()
    const unknown = this.#strict ? missing.filter((key) => !this.#known(key)) : []
    if (unknown.length > 0) throw new UnknownStackError(unknown, where(this.#target, 'show_stacks_handles'))
    return new Map(wanted.map((key) => [key, this.#get(key)]))
  }

  /**
   * The handles of stacks given by their frames (lines without the leading space, joined by
   * newlines), for files that print frames but no handle (swap_page_owner). A text nobody
   * knows triggers one fresh read of show_stacks_handles; still unknown, it maps to undefined.
   */
  async keysOfStacks(texts: Iterable<string>): Promise<Map<string, number | undefined>> {
    const wanted = [...new Set(texts)]
    let index = this.#textIndex()
    if (wanted.some((text) => !index.has(text)) && (await this.#target.exists('show_stacks_handles'))) {
      await this.#readKernel()
      if (this.#dirty && this.#file) await this.#save()
      index = this.#textIndex()
    }
    return new Map(wanted.map((text) => [text, index.get(text)]))
  }

  #textIndex(): Map<string, number> {
    if (this.#index?.size !== this.#frames.size) {
      this.#index = new Map([...this.#frames].map(([key, frames]) => [stackText(frames), key]))
    }
    return this.#index
  }

  #known(key: number): boolean {
    return this.#frames.has(key) || this.#texts.has(key)
  }

  #get(key: number): Frame[] | undefined {
    const text = this.#texts.get(key)
    if (text !== undefined) {
      this.#frames.set(key, framesOfText(text))
      this.#texts.delete(key)
    }
    return this.#frames.get(key)
  }

  #add(key: number, frames: Frame[]): void {
    if (this.#known(key)) return
    this.#frames.set(key, frames)
    this.stats.learned++
    this.#dirty = true
  }

  async #readKernel(): Promise<void> {
    this.stats.kernelReads++
    const stacks = await parseShowStacksHandles(this.#target.read('show_stacks_handles'), where(this.#target, 'show_stacks_handles'))
    for (const [handle, frames] of stacks) this.#add(handle, frames)
  }

  /** Another worker may have resolved what we miss; its file is cheaper than the kernel. */
  async #loadFile(): Promise<void> {
    const data = await readFile(this.#file!, 'utf8').catch(() => undefined)
    if (!data) return
    let parsed: CacheFile
    try {
      parsed = JSON.parse(data) as CacheFile
    } catch {
      return // a cache is only a cache: a damaged one is rebuilt from the kernel
    }
    if (parsed.version !== 1 || parsed.bootId !== this.bootId) return
    const dirty = this.#dirty
    for (const [key, raws] of Object.entries(parsed.stacks)) {
      this.#add(Number(key), raws.flatMap((raw) => parseFrame(raw) ?? []))
    }
    this.#dirty = dirty
  }

  async #save(): Promise<void> {
    await this.#loadFile() // merge what other workers wrote since, then replace atomically
    const stacks: Record<string, string[]> = {}
    for (const [key, frames] of this.#frames) stacks[key] = frameLines(frames)
    for (const [key, text] of this.#texts) stacks[key] = text.split('\n')
    const file: CacheFile = { version: 1, bootId: this.bootId, stacks }
    await writeFileAtomic(this.#file!, JSON.stringify(file))
    this.#dirty = false
  }
}
