import { UsageError } from '../errors.js'
import type { StackSelector } from './selector.js'

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

export function ownsPage(owner: ProcessOwner, page: { comm: string; pid: number; tgid: number }): boolean {
  return (owner.comm === undefined || owner.comm === page.comm)
    && (owner.pid === undefined || owner.pid === page.pid)
    && (owner.tgid === undefined || owner.tgid === page.tgid)
}
