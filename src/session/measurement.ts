import { ExecError, UsageError } from '../errors.js'
import { sampleOwners, type OwnersSample } from '../snapshot/owners.js'
import type { StackSelector } from '../select/selector.js'
import { computeDelta, type Delta } from '../select/delta.js'
import { computeSiteDelta, type SiteDelta } from '../select/site-delta.js'
import { allocInfoUnavailable } from '../target/allocinfo.js'
import { countedAs, needsSwap, type Include } from '../snapshot/include.js'
import type { Snapshot } from '../snapshot/snapshot.js'
import { drainPageBatches } from '../target/drain.js'
import { explainKill } from '../target/oom.js'
import type { ExecOptions, ExecResult } from '../target/types.js'
import type { Budget } from '../amount.js'
import { parseBudget } from '../amount.js'
import { reclaim, type ReclaimOptions, type ReclaimResult } from './reclaim.js'
import { checkRepeatOptions, reduceRuns, type RepeatOptions, type RepeatRun } from './repeat.js'
import type { Session } from './session.js'

/** Misuse is reported before anything is read from the kernel. */
function checkInclude(include: unknown): asserts include is Include | undefined {
  if (include !== undefined && include !== 'resident' && include !== 'swap' && include !== 'all') {
    throw new UsageError(`include must be 'resident', 'swap' or 'all', got ${JSON.stringify(include)}`)
  }
}

export interface DeltaOptions extends StackSelector {
  /** Which pages count: in memory, in swap, or both (default: as show_handles counts them). */
  include?: Include
  /** Measure from this mark instead of the start of the test. */
  since?: string
}

/** Brands a Measurement, so matchers recognise one even across duplicated copies of this module. */
export const MEASUREMENT = Symbol.for('page-budget.measurement')

/**
 * One test's measured section: the `start` snapshot, named marks, and deltas from either to now.
 * It is what the `pageOwner` fixture hands a test and what the budget matchers receive.
 */
export class Measurement {
  readonly [MEASUREMENT] = true
  readonly session: Session
  readonly start: Snapshot
  readonly #marks = new Map<string, Snapshot>()
  readonly #owners = new Map<string, OwnersSample>()
  /** Repeated sections by name: the median run stands in for "since the mark, until now". */
  readonly #repeats = new Map<string, RepeatRun>()
  readonly #end: () => Promise<void>
  #ended = false

  constructor(session: Session, start: Snapshot, end: () => Promise<void>) {
    this.session = session
    this.start = start
    this.#end = end
  }

  /** Pages per stack now; with `swap`, also those in swap (Session.sample). */
  snapshot(label = 'now', options: { swap?: boolean } = {}): Promise<Snapshot> {
    this.#assertOpen()
    return this.session.sample(label, options)
  }

  /** Remembers now as `name`, for `{ since: name }`; `swap` reads pages in swap too, for `include`. */
  async mark(name: string, options: { owners?: boolean; swap?: boolean } = {}): Promise<Snapshot> {
    if (typeof name !== 'string' || name === '') throw new UsageError('mark(name) needs a non-empty name')
    const snapshot = await this.snapshot(name, { ...(options.swap !== undefined && { swap: options.swap }) })
    this.#marks.set(name, snapshot)
    // Owner questions ("which process") need the per-page files as they are now: read them
    // here only when asked, because they are large (45 MB for a 1 GB guest).
    if (options.owners) this.#owners.set(name, await this.owners(name))
    return snapshot
  }

  /** Pages per process and stack now, resident and in swap, from the per-page files (costly). */
  owners(label = 'now'): Promise<OwnersSample> {
    this.#assertOpen()
    return sampleOwners(this.session.target, label, this.session.capabilities.files.swap_page_owner)
  }

  /** The owners recorded by `mark(since, { owners: true })`. */
  ownersAt(since: string): OwnersSample {
    this.baseline(since)
    const sample = this.#owners.get(since)
    if (!sample) {
      throw new UsageError(`mark ${JSON.stringify(since)} did not record owners`, {
        hint: `process owners need the per-page files read at the mark: await pageOwner.mark(${JSON.stringify(since)}, { owners: true })`,
      })
    }
    return sample
  }

  /** The snapshot a delta starts from: a mark, or the start of the test. */
  baseline(since?: string): Snapshot {
    if (since === undefined) return this.start
    const mark = this.#marks.get(since) ?? this.#repeats.get(since)?.before
    if (!mark) {
      const known = [...this.#marks.keys(), ...this.#repeats.keys()]
      throw new UsageError(`no mark named ${JSON.stringify(since)}`, {
        hint: known.length ? `marks so far: ${known.join(', ')}` : 'call `await pageOwner.mark(name)` before using { since: name }',
      })
    }
    return mark
  }

  /**
   * Pages gained by the selected stacks since the start (or a mark), resolving only stacks that
   * changed; with `sites`, bytes and calls gained by those call sites (/proc/allocinfo).
   */
  async delta(options: DeltaOptions & { sites: readonly string[] }, label?: string): Promise<SiteDelta>
  async delta(options?: DeltaOptions & { sites?: undefined }, label?: string): Promise<Delta>
  async delta(options?: DeltaOptions, label?: string): Promise<Delta | SiteDelta>
  async delta(options: DeltaOptions = {}, label = 'now'): Promise<Delta | SiteDelta> {
    checkInclude(options.include)
    const before = this.baseline(options.since)
    const selector = this.session.selector(options)
    const { allocinfo } = this.session.capabilities
    if (selector.source === 'sites') {
      if (allocinfo !== 'available') throw allocInfoUnavailable(allocinfo, this.session.target.description)
      if (options.include !== undefined) throw new UsageError('include counts pages in memory or swap; call sites count bytes: leave it out with sites')
    }
    const repeated = options.since === undefined ? undefined : this.#repeats.get(options.since)
    const after = repeated?.after ?? (await this.snapshot(label, { ...(needsSwap(options.include) && { swap: true }) }))
    if (selector.source === 'sites') return computeSiteDelta(before, after, selector, this.session.pageSize)
    const tracking = this.session.capabilities.files.swap_page_owner
    return computeDelta(countedAs(before, options.include, tracking), countedAs(after, options.include, tracking), this.session.stacks, selector, this.session.pageSize)
  }

  /**
   * Runs `workload` `warmup` times unmeasured, then `times` times measured, and keeps the median
   * (or, with `reduce: 'min'`, the smallest) run per stack under `name`: `{ since: name }` then
   * judges that run instead of "until now". For workloads whose pages vary from run to run.
   */
  async repeat(name: string, workload: (run: number) => Promise<unknown>, options: RepeatOptions): Promise<Delta> {
    if (typeof name !== 'string' || name === '') throw new UsageError('repeat(name, ...) needs a non-empty name')
    if (this.#marks.has(name) || this.#repeats.has(name)) throw new UsageError(`repeat: the name ${JSON.stringify(name)} is already a mark or a repeat`)
    const { times, warmup, reduce } = checkRepeatOptions(options)
    for (let run = 0; run < warmup; run++) await workload(run)
    const runs: RepeatRun[] = []
    for (let run = 0; run < times; run++) {
      const before = await this.snapshot(`${name} #${run + 1}`)
      await workload(warmup + run)
      runs.push({ before, after: await this.snapshot(`${name} #${run + 1} end`) })
    }
    this.#repeats.set(name, reduceRuns(name, runs, reduce))
    return this.delta({ since: name })
  }

  /**
   * Runs a command where the kernel is (the workload under test). A non-zero exit throws an
   * ExecError (exit code, stdout, stderr) unless `reject: false`; a command the kernel's OOM
   * killer ended throws OomKilledError, naming the process it chose, even with `reject: false`:
   * the workload did not run, so nothing measured after it means what the test thinks.
   */
  async exec(command: string, options: ExecOptions & { reject?: boolean } = {}): Promise<ExecResult> {
    this.#assertOpen()
    const target = this.session.target
    if (!target.exec) throw new UsageError(`${target.description} cannot run commands`, { hint: 'use a local, command or qemu target to run workloads' })
    const started = performance.now()
    const result = await target.exec(command, options)
    if (result.exitCode === 0) return result
    const oom = await explainKill(target, command, result, performance.now() - started)
    if (oom) throw oom
    if (options.reject !== false) throw new ExecError(command, result)
    return result
  }

  /**
   * Pushes about `amount` of memory out by proactive reclaim (cgroup v2 `memory.reclaim`), the
   * way to write a swap test: unlike filling memory until the kernel gives way, it moves pages
   * to swap without waking the OOM killer. Says how many pages went to swap.
   */
  async reclaim(amount: Budget, options: ReclaimOptions = {}): Promise<ReclaimResult> {
    this.#assertOpen()
    return reclaim(this.session.target, parseBudget(amount, this.session.pageSize), this.session.pageSize, options)
  }

  /** Flushes the kernel's per-CPU LRU batches (see drainPageBatches): for a disposable kernel only. */
  async drain(): Promise<void> {
    this.#assertOpen()
    await drainPageBatches(this.session.target)
  }

  /**
   * Ends the measured section: releases the cross-process lock. The framework fixtures end it
   * through verdict's endSection, which first lets assertions the test did not await finish.
   */
  async end(): Promise<void> {
    if (this.#ended) return
    this.#ended = true
    await this.#end()
  }

  #assertOpen(): void {
    if (this.#ended) throw new UsageError('this measured section has ended', { hint: 'take snapshots and deltas inside the test that owns pageOwner' })
  }
}
