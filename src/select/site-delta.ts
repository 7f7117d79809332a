import { diffSites, type SiteChange, type SiteCount } from '../format/allocinfo.js'
import type { Snapshot } from '../snapshot/snapshot.js'
import type { CompiledSelector } from './selector.js'

/**
 * What changed between two snapshots at the call sites a selector picks (`sites: [...]`), from
 * /proc/allocinfo: bytes and calls, where a stack delta has pages.
 */
export interface SiteDelta {
  source: 'sites'
  before: SiteSample
  after: SiteSample
  /** The selector in words (`fs/dcache.c:* | mm/shmem.c:*`). */
  selector: string
  /** Bytes gained (negative: freed) by the selected sites, and calls (allocations still held). */
  bytes: number
  calls: number
  /** Bytes gained by every site, selected or not. */
  totalBytes: number
  /** Selected sites that changed, largest change in bytes first. */
  rows: SiteChange[]
  pageSize: number
}

/** What a site delta needs of a snapshot: its sites, and what messages say of the instant. */
export type SiteSample = Pick<Snapshot, 'label' | 'takenAt' | 'bootId' | 'sites'>

/** The delta of the selected call sites; both snapshots must hold allocinfo's sites. */
export function computeSiteDelta(before: SiteSample, after: SiteSample, selector: CompiledSelector, pageSize: number): SiteDelta {
  const empty = new Map<string, SiteCount>()
  const rows: SiteChange[] = []
  let bytes = 0
  let calls = 0
  let totalBytes = 0
  for (const row of diffSites(before.sites ?? empty, after.sites ?? empty)) {
    totalBytes += row.bytes
    if (!selector.matchesSite(row)) continue
    bytes += row.bytes
    calls += row.calls
    rows.push(row)
  }
  rows.sort((a, b) => Math.abs(b.bytes) - Math.abs(a.bytes) || a.key.localeCompare(b.key))
  return { source: 'sites', before, after, selector: selector.description, bytes, calls, totalBytes, rows, pageSize }
}
