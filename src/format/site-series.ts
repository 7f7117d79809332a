import { siteKey, type Site, type SiteCount } from './allocinfo.js'
import type { DeltaRow } from './counts.js'
import { Series } from './series.js'

/** A call site as a site series keeps it: where it is, and whether allocinfo marked it ` accurate:no`. */
export interface SiteEntry {
  site: Site
  /** False once any read marked the site ` accurate:no` (allocations made before profiling was ready are missing). */
  accurate: boolean
}

/**
 * Bytes and calls per call site over time, from /proc/allocinfo. Each site gets a small id on
 * first sight (its index in `table`), so the two counts are kept by the same compact Series as
 * page_owner's stacks, ids standing for handles: the first sample whole, then only the changes.
 * Sites holding nothing are left out, as show_handles leaves out empty stacks: allocinfo lists
 * ~1,500 sites and most hold 0 bytes, or never move.
 */
export class SiteSeries {
  readonly table: SiteEntry[] = []
  readonly bytes: Series
  readonly calls: Series
  readonly #ids = new Map<string, number>()
  readonly #keys: string[] = []

  constructor(table: readonly SiteEntry[] = [], bytes = new Series(), calls = new Series()) {
    for (const entry of table) this.#add(siteKey(entry.site), entry.site, entry.accurate)
    this.bytes = bytes
    this.calls = calls
  }

  get length(): number {
    return this.bytes.length
  }

  /** The site behind an id, and its key (`fs/dcache.c:1909 func:__d_alloc`). */
  entry(id: number): SiteEntry {
    return this.table[id]!
  }

  key(id: number): string {
    return this.#keys[id]!
  }

  /** Adds one read of allocinfo; returns the sites whose bytes changed since the previous read (all held, for the first). */
  push(at: number, sites: ReadonlyMap<string, SiteCount>): DeltaRow[] {
    const bytes = new Map<number, number>()
    const calls = new Map<number, number>()
    for (const count of sites.values()) {
      if (count.bytes === 0 && count.calls === 0) continue
      const id = this.#ids.get(count.key) ?? this.#add(count.key, count.site, count.accurate)
      if (!count.accurate) this.table[id]!.accurate = false
      if (count.bytes !== 0) bytes.set(id, count.bytes)
      if (count.calls !== 0) calls.set(id, count.calls)
    }
    this.calls.push(at, calls)
    return this.bytes.push(at, bytes)
  }

  /** What each site held at sample `index`, as allocinfo would list it (sites holding nothing then included, at 0). */
  countsAt(index: number): Map<string, SiteCount> {
    const bytes = this.bytes.countsAt(index)
    const calls = this.calls.countsAt(index)
    return new Map(this.table.map((entry, id) => [this.#keys[id]!, { key: this.#keys[id]!, site: entry.site, bytes: bytes.get(id) ?? 0, calls: calls.get(id) ?? 0, accurate: entry.accurate }]))
  }

  #add(key: string, site: Site, accurate: boolean): number {
    const id = this.table.length
    this.table.push({ site, accurate })
    this.#keys.push(key)
    this.#ids.set(key, id)
    return id
  }
}
