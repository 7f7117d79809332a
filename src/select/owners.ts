import { readPageOwner } from '../format/index.js'
import type { ByteSource, Frame, PageOwnerRecord } from '../format/types.js'
import { hashText } from '../snapshot/hash.js'

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
  await readPageOwner(source, file, (record) => {
    let key: string
    let frames: Frame[] | undefined
    if (by === 'stack') {
      key = String(hashText(record.frames.map((f) => f.raw).join('\n')))
      frames = record.frames
    } else {
      key = KEYS[by](record)
    }
    const entry = counts.get(key)
    if (entry) entry.pages += 2 ** record.order
    else counts.set(key, { key, pages: 2 ** record.order, ...(frames && { frames }) })
  })
  return counts
}
