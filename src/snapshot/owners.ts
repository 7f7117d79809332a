import { readPageOwner } from '../format/page-owner.js'
import { StackKeys } from '../format/stack-key.js'
import { readSwapPageOwner } from '../format/swap-page-owner.js'
import type { ByteSource, Frame, PageOwnerRecord, SwapPageOwnerRecord } from '../format/types.js'
import { where } from '../target/read.js'
import type { Target } from '../target/types.js'

/** What pages of the per-page file are grouped by: the allocating stack, or the allocating process. */
export type OwnerKey = 'stack' | 'comm' | 'pid' | 'tgid'

export interface OwnerCount {
  key: string
  /** Base pages (a record of order n holds 2^n). */
  pages: number
  /** The stack's frames, when grouping by stack. */
  frames?: Frame[]
}

const KEYS: Record<Exclude<OwnerKey, 'stack'>, (r: PageOwnerRecord) => string> = {
  comm: (r) => r.comm,
  pid: (r) => String(r.pid),
  tgid: (r) => String(r.tgid),
}

/** Streams the per-page page_owner file once and sums order-weighted pages per owner. */
export async function countPagesBy(source: ByteSource, file: string, by: OwnerKey): Promise<Map<string, OwnerCount>> {
  const counts = new Map<string, OwnerCount>()
  const keys = new StackKeys()
  await readPageOwner(source, file, (record) => {
    const key = by === 'stack' ? String(keys.keyOf(record.frames)) : KEYS[by](record)
    const entry = counts.get(key)
    if (entry) entry.pages += 2 ** record.order
    else counts.set(key, { key, pages: 2 ** record.order, ...(by === 'stack' && { frames: record.frames }) })
  })
  return counts
}

/** Pages one process holds through one stack: resident in memory, and in swap. */
export interface OwnerEntry {
  comm: string
  pid: number
  tgid: number
  stack: number
  frames: Frame[]
  resident: number
  swap: number
}

/** Who owns which pages at one instant, from the per-page files; costly, so taken only on demand. */
export interface OwnersSample {
  label: string
  entries: Map<string, OwnerEntry>
  /** Bytes streamed from page_owner and swap_page_owner to answer it. */
  bytesRead: number
  ms: number
  /** Whether pages in swap were counted (the kernel has swap_page_owner). */
  swapTracking: boolean
}

/**
 * Streams page_owner (resident pages, `(swapped)` ones included: they are back in memory) and,
 * where the kernel has it, swap_page_owner (pages in swap), once, into pages per process and stack.
 */
export async function sampleOwners(target: Target, label: string, swapTracking: boolean): Promise<OwnersSample> {
  const started = Date.now()
  const entries = new Map<string, OwnerEntry>()
  const meter = { bytes: 0 }
  const keys = new StackKeys()
  const add = (record: PageOwnerRecord | SwapPageOwnerRecord, pages: number, where: 'resident' | 'swap') => {
    const stack = keys.keyOf(record.frames)
    const key = `${record.pid}\0${record.tgid}\0${record.comm}\0${stack}`
    let entry = entries.get(key)
    if (!entry) entries.set(key, (entry = { comm: record.comm, pid: record.pid, tgid: record.tgid, stack, frames: record.frames, resident: 0, swap: 0 }))
    entry[where] += pages
  }
  await readPageOwner(metered(target.read('page_owner'), meter), where(target, 'page_owner'), (r) => add(r, 2 ** r.order, 'resident'))
  if (swapTracking) {
    // One swap entry is one base page: the RFC lists a large folio's pages one by one.
    await readSwapPageOwner(metered(target.read('swap_page_owner'), meter), where(target, 'swap_page_owner'), (r) => add(r, 1, 'swap'))
  }
  return { label, entries, bytesRead: meter.bytes, ms: Date.now() - started, swapTracking }
}

async function* metered(source: ByteSource, meter: { bytes: number }): AsyncIterable<Uint8Array | string> {
  for await (const chunk of source) {
    meter.bytes += chunk.length
    yield chunk
  }
}
