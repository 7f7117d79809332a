import { UsageError } from '../errors.js'
import type { Frame } from '../format/types.js'
import { compileSelector, type CompiledSelector, type StackSelector } from '../select/selector.js'
import type { Session } from '../session/session.js'
import { drainPageBatches } from '../target/drain.js'
import { allocInfoUnavailable } from '../target/allocinfo.js'
import type { ExecResult } from '../target/types.js'
import { SiteSeries } from '../format/site-series.js'
import { AlertWatch, type AlertCrossing, type AlertSpec } from './alerts.js'
import type { StopReason } from '../format/recording.js'
import { Series } from '../format/series.js'
import type { Ticker } from './ticker.js'

export interface WatchOptions {
  /** Which stacks the view, the chart and the tables show (absent: all). */
  selector?: StackSelector
  /**
   * Call sites to watch too, from /proc/allocinfo (`{ sites: ['fs/dcache.c:*'] }`, module as in
   * the matchers): which sites the view, the chart and the tables show, in bytes and calls.
   */
  sites?: StackSelector
  alerts?: readonly AlertSpec[]
  stopOnAlert?: boolean
  /** A workload run on the target while sampling; sampling ends one sample after it does. */
  exec?: string
  /** Ctrl-C: stop sampling, keep everything collected. */
  signal?: AbortSignal
  /** Called after every sample (the live view). */
  onSample?: (watch: Watch, sample: number, at: number) => void | Promise<void>
  onAlert?: (crossing: AlertCrossing) => void
}

export interface WatchOutcome {
  stopped: StopReason
  crossings: AlertCrossing[]
  /** How the --exec workload ended, when it did. */
  exec?: ExecResult
  execError?: unknown
}

/**
 * The sampling loop: show_handles only (through the session's cheapest path), each sample folded
 * into a compact Series. Stacks are resolved only when something needs their frames: a selector
 * or an alert (each stack once, when it first changes), the rows a view shows, the output's rows.
 * With call sites asked for (`sites`, or an alert on sites), each sample also reads allocinfo
 * into a second series, of every site holding memory, as the first is of every stack.
 */
export class Watch {
  readonly series = new Series()
  /** Bytes and calls per call site, when the watch reads allocinfo. */
  readonly sites: SiteSeries | undefined
  readonly session: Session
  readonly selector: CompiledSelector
  /** Which call sites the output shows: `sites`, else those the alerts on sites pick. */
  readonly #siteSelectors: readonly CompiledSelector[]
  /** Frames of every stack resolved so far (the stacks cache's answers, kept for the output). */
  readonly frames = new Map<number, Frame[] | undefined>()
  readonly #options: WatchOptions
  readonly #siteAnswers = new Map<number, boolean>()
  readonly #alerts: AlertWatch
  /** A selector narrows the output to some stacks. */
  readonly #filtered: boolean
  /** Stacks must be resolved as they change: a selector or an alert on stacks looks at their frames. */
  readonly #classifies: boolean

  constructor(session: Session, options: WatchOptions = {}) {
    this.session = session
    this.#options = options
    this.selector = compileSelector(options.selector)
    this.#alerts = new AlertWatch(options.alerts ?? [], session.pageSize)
    this.#filtered = (options.selector?.frames?.length ?? 0) > 0 || options.selector?.module !== undefined
    this.#classifies = this.#filtered || this.#alerts.selectors.some((s) => s.source === 'stacks')
    this.#siteSelectors = options.sites ? [compileSelector(options.sites)] : this.#alerts.selectors.filter((s) => s.source === 'sites')
    if (options.sites || this.#alerts.watchesSites) {
      // Never a series of zeros: a kernel that does not count call sites says so before the first sample.
      const state = session.capabilities.allocinfo
      if (state !== 'available') throw allocInfoUnavailable(state, session.target.description)
      this.sites = new SiteSeries()
    }
    if (options.exec !== undefined && !session.target.exec) {
      throw new UsageError(`${session.target.description} cannot run --exec`, { hint: 'use a local, command (--ssh, --sudo) or qemu target to run a workload' })
    }
  }

  /** Whether a stack is one the output shows (its frames were resolved when it changed, if a selector is set). */
  selected(key: number): boolean {
    return !this.#filtered || this.selector.matches(key, this.frames.get(key) ?? [])
  }

  /** The call sites the output shows, in words (`fs/dcache.c:* | mm/shmem.c:*`). */
  get siteDescription(): string {
    return this.#siteSelectors.map((selector) => selector.description).join(' | ')
  }

  /** Whether a call site (by its id in the site series) is one the output shows. */
  selectedSite(id: number): boolean {
    // A site never moves, so each is matched once: the view asks about every site holding memory each sample.
    let answer = this.#siteAnswers.get(id)
    if (answer === undefined) {
      const entry = this.sites!.entry(id)
      this.#siteAnswers.set(id, (answer = this.#siteSelectors.some((selector) => selector.matchesSite(entry))))
    }
    return answer
  }

  /** Frames for these stacks, asking the stacks cache only about ones not resolved yet. */
  async resolve(keys: Iterable<number>): Promise<Map<number, Frame[] | undefined>> {
    const missing = [...keys].filter((key) => !this.frames.has(key))
    if (missing.length > 0) for (const [key, frames] of await this.session.stacks.resolve(missing)) this.frames.set(key, frames)
    return this.frames
  }

  async run(ticker: Ticker): Promise<WatchOutcome> {
    const user = this.#options.signal
    // Woken by Ctrl-C or by the workload ending: either way the wait for the next tick is cut short.
    const wake = new AbortController()
    const onAbort = () => wake.abort()
    user?.addEventListener('abort', onAbort, { once: true })
    if (user?.aborted) wake.abort()
    let workload: { result?: ExecResult; error?: unknown } | undefined
    let stopped: StopReason
    try {
      for (let index = 0; ; index++) {
        const tick = await ticker.next(index, wake.signal)
        // After the workload ends, one more sample shows what it left behind.
        const last = workload !== undefined && !user?.aborted
        if (tick.stop && !last) {
          stopped = tick.stop
          break
        }
        // The kernel frees some of a finished workload's pages late (per-CPU LRU batches): on a
        // disposable kernel they are flushed, so the last sample shows what the workload left.
        if (last && this.session.target.disposable) await drainPageBatches(this.session.target)
        await this.#sample(index, tick.at)
        if (last) {
          stopped = 'exec-done'
          break
        }
        if (this.#options.stopOnAlert && this.#alerts.crossings.some((c) => c.kind === 'crossed')) {
          stopped = 'alert'
          break
        }
        if (index === 0 && this.#options.exec !== undefined) {
          void this.session.target.exec!(this.#options.exec)
            .then((result) => (workload = { result }), (error: unknown) => (workload = { error }))
            .finally(() => wake.abort())
        }
      }
    } finally {
      user?.removeEventListener('abort', onAbort)
    }
    // A workload still running after Ctrl-C keeps running on the target; it is not waited for.
    return { stopped, crossings: this.#alerts.crossings, ...(workload?.result && { exec: workload.result }), ...(workload?.error !== undefined && { execError: workload.error }) }
  }

  async #sample(index: number, at: number): Promise<void> {
    const snapshot = await this.session.sample(String(index), { sites: this.sites !== undefined })
    const changed = this.series.push(at, snapshot.counts)
    const sites = this.sites && { changed: this.sites.push(at, snapshot.sites!), series: this.sites }
    const frames = this.#classifies ? await this.resolve(changed.map((row) => row.key)) : this.frames
    for (const crossing of this.#alerts.update(index, at, changed, frames, sites)) this.#options.onAlert?.(crossing)
    await this.#options.onSample?.(this, index, at)
  }
}
