import { addPages } from '../format/counts.js'
import { countPageOwner, type PageOwnerPages } from '../format/page-owner-count.js'
import type { Body } from '../format/record-scan.js'
import { readSwapPageOwner } from '../format/swap-page-owner.js'
import type { ByteSource, Frame, SwapPageOwnerRecord } from '../format/types.js'
import { where } from '../target/read.js'
import type { Target } from '../target/types.js'

/** What pages of the per-page file are grouped by: the allocating stack, or the allocating process. */
export type OwnerKey = 'stack' | 'comm' | 'pid' | 'tgid'

export interface OwnerCount {
  key: string
  /** Base pages (a record of order n holds 2^n). */
  pages: number
  /** The stack's frames, when grouping by stack (shared with the record body they came from). */
  frames?: readonly Frame[]
}

const KEYS: Record<Exclude<OwnerKey, 'stack'>, (r: PageOwnerPages) => string> = {
  comm: (r) => r.comm,
  pid: (r) => String(r.pid),
  tgid: (r) => String(r.tgid),
}

/**
 * Streams the per-page page_owner file once and sums order-weighted pages per owner. By stack,
 * pages are summed per Body (records of one stack share it), and each body's stack is keyed
 * once at the end: the per-record work is one map update.
 */
export async function countPagesBy(source: ByteSource, file: string, by: OwnerKey): Promise<Map<string, OwnerCount>> {
  const counts = new Map<string, OwnerCount>()
  const add = (key: string, pages: number, frames?: readonly Frame[]) => {
    const entry = counts.get(key)
    if (entry) entry.pages += pages
    else counts.set(key, { key, pages, ...(frames && { frames }) })
  }
  if (by === 'stack') {
    for (const [body, pages] of await pagesPerBody(source, file)) add(String(body.key), pages, body.frames)
  } else {
    const ownerOf = KEYS[by]
    await countPageOwner(source, file, (record) => add(ownerOf(record), 2 ** record.order))
  }
  return counts
}

/** Order-weighted pages per distinct record body of the per-page file (a stack, with its memcg line). */
export async function pagesPerBody(source: ByteSource, file: string): Promise<Map<Body, number>> {
  const pages = new Map<Body, number>()
  await countPageOwner(source, file, (record, body) => addPages(pages, body, 2 ** record.order))
  return pages
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
  const add = (record: PageOwnerPages | SwapPageOwnerRecord, body: Body, pages: number, where: 'resident' | 'swap') => {
    const stack = body.key
    const key = `${record.pid}\0${record.tgid}\0${record.comm}\0${stack}`
    let entry = entries.get(key)
    if (!entry) entries.set(key, (entry = { comm: record.comm, pid: record.pid, tgid: record.tgid, stack, frames: [...body.frames], resident: 0, swap: 0 }))
    entry[where] += pages
  }
  await countPageOwner(metered(target.read('page_owner'), meter), where(target, 'page_owner'), (r, body) => add(r, body, 2 ** r.order, 'resident'))
  if (swapTracking) {
    // One swap entry is one base page: the RFC lists a large folio's pages one by one.
    await readSwapPageOwner(metered(target.read('swap_page_owner'), meter), where(target, 'swap_page_owner'), (r, body) => add(r, body, 1, 'swap'), { validate: false })
  }
  return { label, entries, bytesRead: meter.bytes, ms: Date.now() - started, swapTracking }
}

async function* metered(source: ByteSource, meter: { bytes: number }): AsyncIterable<Uint8Array | string> {
  for await (const chunk of source) {
    meter.bytes += chunk.length
    yield chunk
  }
}
