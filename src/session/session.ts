import { join } from 'node:path'
import { CountThresholdError, TargetError } from '../errors.js'
import { defaultCacheDir, privateDir } from '../io/cache-dir.js'
import { acquireLock } from '../io/lock.js'
import { compileSelector, selectorKey, type CompiledSelector, type StackSelector } from '../select/selector.js'
import { sumPages } from '../format/counts.js'
import { readCounts, readSwapCounts } from '../snapshot/sample.js'
import { where } from '../target/read.js'
import type { Snapshot } from '../snapshot/snapshot.js'
import { StacksCache } from '../snapshot/stacks.js'
import { probe, SAMPLE_PATH_NOTES, type Capabilities } from '../target/probe.js'
import { parseCountThreshold } from '../format/count-threshold.js'
import { parseAllocInfo } from '../format/allocinfo.js'
import type { Target } from '../target/types.js'
import { Measurement } from './measurement.js'
import type { SessionOptions } from './options.js'

/**
 * One target's kernel, probed once: the sampling path, the stacks cache for its boot, the
 * compiled selectors and the count_threshold policy. A Vitest worker holds one; each test
 * gets a Measurement from it.
 */
export class Session {
  readonly target: Target
  readonly capabilities: Capabilities
  readonly stacks: StacksCache
  readonly options: SessionOptions
  readonly #selectors = new Map<string, CompiledSelector>()
  readonly #cacheDir: string
  #restoreThreshold: number | undefined
  #samples = 0

  private constructor(target: Target, capabilities: Capabilities, options: SessionOptions) {
    this.target = target
    this.capabilities = capabilities
    this.options = options
    this.#cacheDir = options.cacheDir ?? defaultCacheDir()
    this.stacks = new StacksCache(target, capabilities.bootId, join(this.#cacheDir, 'stacks', `${capabilities.bootId}.json`))
  }

  /** Probes the target and applies the count_threshold policy. */
  static async open(target: Target, options: SessionOptions = {}): Promise<Session> {
    // Stacks and locks live here: no other user may replace them.
    await privateDir(options.cacheDir ?? defaultCacheDir())
    const capabilities = await probe(target)
    const session = new Session(target, capabilities, options)
    await session.#applyThresholdPolicy()
    if (capabilities.path !== 'show_handles') {
      ;(options.log ?? console.warn)(`page-budget: ${target.description} has no show_handles; sampling through the ${SAMPLE_PATH_NOTES[capabilities.path]}`)
    }
    return session
  }

  get pageSize(): number {
    return this.capabilities.pageSize
  }

  /**
   * Pages per stack now. Where the kernel has swap_page_owner, `swap` (default: the session's
   * countSwap) also reads how many of each stack's pages are in swap: swap_page_owner is large
   * (13 MB in a 640 MiB guest), so it is read only for the deltas and owners that count swap.
   * `sites: false` skips allocinfo, for a caller that will never look at call sites (a watch of
   * stacks alone).
   */
  async sample(label: string, options: { swap?: boolean; sites?: boolean } = {}): Promise<Snapshot> {
    const takenAt = Date.now()
    const counts = await readCounts(this.target, this.capabilities.path, this.stacks)
    const readSwap = this.capabilities.files.swap_page_owner && (options.swap ?? this.options.countSwap ?? false)
    const swap = readSwap ? await readSwapCounts(this.target, this.stacks) : undefined
    // Every sample, since the start snapshot is taken before a test says it budgets call sites.
    const sites = this.capabilities.allocinfo === 'available' && options.sites !== false ? (await parseAllocInfo(this.target.read('allocinfo'), where(this.target, 'allocinfo'))).sites : undefined
    this.#samples++
    return { label, takenAt, bootId: this.capabilities.bootId, path: this.capabilities.path, counts, ...(swap && { swap }), total: sumPages(counts), ...(sites && { sites }) }
  }

  get samples(): number {
    return this.#samples
  }

  /** The compiled form of a selector, shared by every matcher call that names the same stacks. */
  selector(selector: StackSelector = {}): CompiledSelector {
    const key = selectorKey(selector)
    let compiled = this.#selectors.get(key)
    if (!compiled) this.#selectors.set(key, (compiled = compileSelector(selector)))
    return compiled
  }

  /**
   * Starts a measured section: takes the cross-process lock (so no other worker's pages land in
   * this delta), checks count_threshold is still 0, and takes the `start` snapshot.
   */
  async begin(): Promise<Measurement> {
    const lock = this.options.lock === false
      ? undefined
      : await acquireLock(join(this.#cacheDir, 'locks', this.capabilities.bootId), { timeout: this.options.lockTimeout })
    try {
      await this.#checkThreshold()
      return new Measurement(this, await this.sample('start'), () => lock?.release() ?? Promise.resolve())
    } catch (error) {
      await lock?.release()
      throw error
    }
  }

  /** Restores count_threshold if the session changed it, and closes the target. */
  async close(): Promise<void> {
    try {
      if (this.#restoreThreshold !== undefined) await this.target.write!('count_threshold', String(this.#restoreThreshold))
    } finally {
      await this.target.close()
    }
  }

  async #applyThresholdPolicy(): Promise<void> {
    const threshold = this.capabilities.countThreshold
    if (threshold === 0) return
    if (this.options.threshold !== 'reset') throw new CountThresholdError(threshold)
    if (!this.target.write) throw new TargetError(`${this.target.description} cannot write count_threshold`, { hint: 'set it to 0 on the kernel by hand' })
    await this.target.write('count_threshold', '0')
    this.#restoreThreshold = threshold
  }

  /** Someone may have raised count_threshold since the probe; a delta taken under it would be wrong. */
  async #checkThreshold(): Promise<void> {
    if (!this.capabilities.files.count_threshold) return
    const now = await parseCountThreshold(this.target.read('count_threshold'), where(this.target, 'count_threshold'))
    if (now !== 0) throw new CountThresholdError(now)
  }
}
