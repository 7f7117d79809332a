import { UsageError } from '../errors.js'
import { readPageOwner, readSwapPageOwner } from '../format/index.js'
import type { ByteSource, Frame, PageOwnerRecord, SwapPageOwnerRecord } from '../format/types.js'
import { hashText } from '../snapshot/hash.js'
import { where } from '../target/read.js'
import type { Target } from '../target/types.js'
import type { StackSelector } from './selector.js'

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

/** Ids of frame objects: the parsers share one frozen Frame per distinct frame line. */
const frameIds = new WeakMap<Frame, number>()
let nextFrameId = 0
/** Stack keys by the ids of their frames, so each distinct stack's text is hashed once. */
const keysByIds = new Map<string, number>()

/**
 * The key of a record's stack where no handle is printed: a hash of its frames' text. The
 * per-page file repeats a few hundred stacks over millions of lines; keying by frame identity
 * first keeps the hashing off the per-record path.
 */
export function stackKeyOf(frames: readonly Frame[]): number {
  let ids = ''
  for (const frame of frames) {
    let id = frameIds.get(frame)
    if (id === undefined) frameIds.set(frame, (id = nextFrameId++))
    ids += `${id},`
  }
  let key = keysByIds.get(ids)
  if (key === undefined) keysByIds.set(ids, (key = hashText(frames.map((f) => f.raw).join('\n'))))
  return key
}

/** Streams the per-page page_owner file once and sums order-weighted pages per owner. */
export async function countPagesBy(source: ByteSource, file: string, by: OwnerKey): Promise<Map<string, OwnerCount>> {
  const counts = new Map<string, OwnerCount>()
  await readPageOwner(source, file, (record) => {
    const key = by === 'stack' ? String(stackKeyOf(record.frames)) : KEYS[by](record)
    const entry = counts.get(key)
    if (entry) entry.pages += 2 ** record.order
    else counts.set(key, { key, pages: 2 ** record.order, ...(by === 'stack' && { frames: record.frames }) })
  })
  return counts
}

/** A process that owns pages: every given field must match the page's allocation record. */
export interface ProcessOwner {
  comm?: string
  pid?: number
  tgid?: number
}

/** Who owns pages: a process (answered from the per-page files) or a set of stacks (from show_handles). */
export type Owner = ProcessOwner | StackSelector

export function isProcessOwner(owner: Owner): owner is ProcessOwner {
  const keys = Object.keys(owner)
  const processKeys = keys.filter((k) => k === 'comm' || k === 'pid' || k === 'tgid')
  const stackKeys = keys.filter((k) => k === 'frames' || k === 'module')
  if (processKeys.length + stackKeys.length !== keys.length || (processKeys.length > 0) === (stackKeys.length > 0)) {
    throw new UsageError(`not an owner: ${JSON.stringify(owner)}`, {
      hint: "an owner is a process { comm?, pid?, tgid? } or a set of stacks { frames, module? }, e.g. { comm: 'dd' } or { frames: ['shmem_*', 'vfs_write'] }",
    })
  }
  return processKeys.length > 0
}

export function describeOwner(owner: Owner): string {
  if (!isProcessOwner(owner)) return (owner.frames ?? []).join(' & ') + (owner.module ? ` [${owner.module}]` : '')
  return [owner.comm, owner.pid !== undefined && `pid ${owner.pid}`, owner.tgid !== undefined && `tgid ${owner.tgid}`].filter(Boolean).join(', ')
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

export function ownsPage(owner: ProcessOwner, entry: Pick<OwnerEntry, 'comm' | 'pid' | 'tgid'>): boolean {
  return (owner.comm === undefined || owner.comm === entry.comm)
    && (owner.pid === undefined || owner.pid === entry.pid)
    && (owner.tgid === undefined || owner.tgid === entry.tgid)
}

/**
 * Streams page_owner (resident pages, `(swapped)` ones included: they are back in memory) and,
 * where the kernel has it, swap_page_owner (pages in swap), once, into pages per process and stack.
 */
export async function sampleOwners(target: Target, label: string, swapTracking: boolean): Promise<OwnersSample> {
  const started = Date.now()
  const entries = new Map<string, OwnerEntry>()
  const meter = { bytes: 0 }
  const add = (record: PageOwnerRecord | SwapPageOwnerRecord, pages: number, where: 'resident' | 'swap') => {
    const stack = stackKeyOf(record.frames)
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
