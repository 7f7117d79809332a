import type { HandleCounts } from './types.js'
import { diffCounts, type DeltaRow } from './counts.js'

/** What one stack did over a series: the first, last, lowest and highest page counts. */
export interface StackRange {
  key: number
  first: number
  last: number
  min: number
  max: number
}

/**
 * Pages per stack over time, kept compactly: the first sample in full, then for each later
 * sample only the stacks whose count changed, as flat (handle, delta) number pairs. An hour of
 * 1 s samples where a few stacks move costs kilobytes, not 3600 copies of every stack.
 */
export class Series {
  /** Milliseconds since the first sample, per sample. */
  readonly times: number[] = []
  readonly #base: HandleCounts = new Map()
  /** Index into #changes where each sample's pairs begin (sample 0 has none). */
  readonly #offsets: number[] = []
  readonly #changes: number[] = []
  #current: HandleCounts = new Map()
  #total = 0
  readonly #totals: number[] = []

  get length(): number {
    return this.times.length
  }

  /** Pages per stack at the first sample. */
  get first(): ReadonlyMap<number, number> {
    return this.#base
  }

  /** Pages per stack at the latest sample. */
  get current(): ReadonlyMap<number, number> {
    return this.#current
  }

  /** Pages held by all stacks, per sample. */
  get totals(): readonly number[] {
    return this.#totals
  }

  /** Adds a sample (the series keeps `counts`); returns the stacks that changed since the previous one (all, for the first). */
  push(at: number, counts: HandleCounts): DeltaRow[] {
    const changed = diffCounts(this.#current, counts)
    this.#record(at, changed.flatMap((row) => [row.key, row.delta]))
    this.#current = counts
    return changed
  }

  #record(at: number, pairs: readonly number[]): void {
    if (this.length === 0) {
      for (let i = 0; i < pairs.length; i += 2) this.#base.set(pairs[i]!, pairs[i + 1]!)
    } else {
      for (const n of pairs) this.#changes.push(n)
    }
    for (let i = 1; i < pairs.length; i += 2) this.#total += pairs[i]!
    this.#offsets.push(this.#changes.length)
    this.#totals.push(this.#total)
    this.times.push(at)
  }

  /** The (handle, delta) pairs of sample `index`, flat; the first sample's are its full counts. */
  changesAt(index: number): number[] {
    if (index === 0) return [...this.#base].flat()
    return this.#changes.slice(this.#offsets[index - 1], this.#offsets[index])
  }

  /** Pages per stack at sample `index`, rebuilt from the first sample and the deltas after it. */
  countsAt(index: number): HandleCounts {
    const counts = new Map(this.#base)
    const end = this.#offsets[index] ?? this.#changes.length
    for (let i = 0; i < end; i += 2) {
      const key = this.#changes[i]!
      const pages = (counts.get(key) ?? 0) + this.#changes[i + 1]!
      if (pages === 0) counts.delete(key)
      else counts.set(key, pages)
    }
    return counts
  }

  /** Pages of each stack in `keys` at every sample (0 where the kernel omitted it). */
  valuesOf(keys: readonly number[]): Map<number, number[]> {
    const now = new Map(keys.map((key) => [key, this.#base.get(key) ?? 0]))
    const values = new Map(keys.map((key) => [key, [now.get(key)!]]))
    for (let sample = 1; sample < this.length; sample++) {
      for (let i = this.#offsets[sample - 1]!; i < this.#offsets[sample]!; i += 2) {
        const key = this.#changes[i]!
        if (now.has(key)) now.set(key, now.get(key)! + this.#changes[i + 1]!)
      }
      for (const key of keys) values.get(key)!.push(now.get(key)!)
    }
    return values
  }

  /** First, last, lowest and highest count of every stack seen, in one pass. */
  ranges(): StackRange[] {
    const ranges = new Map<number, StackRange>()
    const note = (key: number, pages: number, sample: number) => {
      let range = ranges.get(key)
      // A stack first seen later held 0 pages before (the kernel omits empty stacks).
      if (!range) ranges.set(key, (range = { key, first: sample === 0 ? pages : 0, last: 0, min: sample === 0 ? pages : 0, max: 0 }))
      range.last = pages
      range.min = Math.min(range.min, pages)
      range.max = Math.max(range.max, pages)
    }
    for (const [key, pages] of this.#base) note(key, pages, 0)
    for (let i = 0; i < this.#changes.length; i += 2) {
      const key = this.#changes[i]!
      note(key, (ranges.get(key)?.last ?? 0) + this.#changes[i + 1]!, 1)
    }
    return [...ranges.values()]
  }

  /** Rebuilds a series from its samples' (handle, delta) pairs, as changesAt gave them. */
  static fromChanges(samples: Iterable<{ at: number; changes: readonly number[] }>): Series {
    const series = new Series()
    const counts = series.#current
    for (const { at, changes } of samples) {
      for (let i = 0; i < changes.length; i += 2) {
        const pages = (counts.get(changes[i]!) ?? 0) + changes[i + 1]!
        if (pages === 0) counts.delete(changes[i]!)
        else counts.set(changes[i]!, pages)
      }
      series.#record(at, changes)
    }
    return series
  }
}
