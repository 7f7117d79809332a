import { TargetError, UsageError } from '../errors.js'
import type { StackSelector } from '../select/selector.js'
import { computeDelta, type Delta } from '../snapshot/delta.js'
import type { Snapshot } from '../snapshot/snapshot.js'
import type { ExecOptions, ExecResult } from '../target/types.js'
import type { Session } from './session.js'

/** One budget assertion as it was judged: what reports and the run's summary table show. */
export interface BudgetRecord {
  /** `toAllocateAtMost('256 MiB')`, with `.not.` when negated. */
  call: string
  stacks: string
  expected: string
  measured: { pages: number; bytes: number }
  /** Whether the assertion held (the matcher's pass, flipped for .not). */
  held: boolean
}

export interface DeltaOptions extends StackSelector {
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
  /** Every budget assertion made on this section, in order. */
  readonly records: BudgetRecord[] = []
  readonly #marks = new Map<string, Snapshot>()
  readonly #end: () => Promise<void>
  #ended = false

  constructor(session: Session, start: Snapshot, end: () => Promise<void>) {
    this.session = session
    this.start = start
    this.#end = end
  }

  /** Pages per stack now. */
  snapshot(label = 'now'): Promise<Snapshot> {
    this.#assertOpen()
    return this.session.sample(label)
  }

  /** Remembers now as `name`, for `{ since: name }`. */
  async mark(name: string): Promise<Snapshot> {
    if (typeof name !== 'string' || name === '') throw new UsageError('mark(name) needs a non-empty name')
    const snapshot = await this.snapshot(name)
    this.#marks.set(name, snapshot)
    return snapshot
  }

  /** The snapshot a delta starts from: a mark, or the start of the test. */
  baseline(since?: string): Snapshot {
    if (since === undefined) return this.start
    const mark = this.#marks.get(since)
    if (!mark) {
      const known = [...this.#marks.keys()]
      throw new UsageError(`no mark named ${JSON.stringify(since)}`, {
        hint: known.length ? `marks so far: ${known.join(', ')}` : 'call `await pageOwner.mark(name)` before using { since: name }',
      })
    }
    return mark
  }

  /** Pages gained by the selected stacks since the start (or a mark), resolving only stacks that changed. */
  async delta(options: DeltaOptions = {}, label = 'now'): Promise<Delta> {
    const before = this.baseline(options.since)
    const selector = this.session.selector(options)
    const after = await this.snapshot(label)
    return computeDelta(before, after, this.session.stacks, selector, this.session.pageSize)
  }

  /** Runs a command where the kernel is (the workload under test). A non-zero exit throws unless `reject: false`. */
  async exec(command: string, options: ExecOptions & { reject?: boolean } = {}): Promise<ExecResult> {
    this.#assertOpen()
    const target = this.session.target
    if (!target.exec) throw new UsageError(`${target.description} cannot run commands`, { hint: 'use a local, command or qemu target to run workloads' })
    const result = await target.exec(command, options)
    if (result.exitCode !== 0 && options.reject !== false) {
      throw new TargetError(`command exited with ${result.exitCode}: ${command}\n${result.stderr.trim()}`, {
        hint: 'pass { reject: false } to exec when a non-zero exit is expected',
      })
    }
    return result
  }

  /** Ends the measured section (releases the cross-process lock). */
  async end(): Promise<void> {
    if (this.#ended) return
    this.#ended = true
    await this.#end()
  }

  #assertOpen(): void {
    if (this.#ended) throw new UsageError('this measured section has ended', { hint: 'take snapshots and deltas inside the test that owns pageOwner' })
  }
}
