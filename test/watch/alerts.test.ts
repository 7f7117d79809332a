import { describe, expect, it } from 'vitest'
import { UsageError } from '../../src/errors.js'
import { parseFrame } from '../../src/format/frame.js'
import type { Frame } from '../../src/format/types.js'
import { diffCounts } from '../../src/format/counts.js'
import { AlertWatch, parseAlert, type AlertCrossing } from '../../src/watch/alerts.js'
import { parseDuration } from '../../src/watch/duration.js'
import { stackLabel } from '../../src/watch/label.js'

const frames = (...fns: string[]): Frame[] => fns.map((fn) => parseFrame(` ${fn}+0x1/0x2`)!)
const SHMEM = frames('get_page_from_freelist', 'shmem_get_folio_gfp.constprop.0', 'shmem_write_begin', 'vfs_write', 'ksys_write', 'do_syscall_64')
const OTHER = frames('get_page_from_freelist', 'do_anonymous_page', 'handle_mm_fault')

describe('parseAlert', () => {
  it('reads frames, module and a budget', () => {
    expect(parseAlert('frames=shmem_*,frames=vfs_write,max=512MiB')).toEqual({ text: 'frames=shmem_*,frames=vfs_write,max=512MiB', selector: { frames: ['shmem_*', 'vfs_write'] }, max: '512MiB' })
    expect(parseAlert('module=xfs,max=1 GiB').selector).toEqual({ frames: [], module: 'xfs' })
  })
  it('refuses what it cannot read, with a hint', () => {
    for (const bad of ['frames=shmem_*', 'frames=shmem_*,max=lots', 'frames=shmem_*,max=4 KB', 'size=1,max=1MiB', 'frames,max=1MiB', 'max=1MiB,max=2MiB']) {
      expect(() => parseAlert(bad), bad).toThrow(UsageError)
    }
    expect(() => parseAlert('frames=shmem_*')).toThrow(/hint: write --alert/)
  })
})

describe('AlertWatch', () => {
  it('says when the selected stacks cross the limit and when they come back', () => {
    const alerts = new AlertWatch([parseAlert('frames=shmem_*,max=16 pages')], 4096)
    const stacks = new Map([[1, SHMEM], [2, OTHER]])
    const steps = [new Map([[1, 10], [2, 100]]), new Map([[1, 17], [2, 100]]), new Map([[1, 30], [2, 1]]), new Map([[2, 500]])]
    const seen: AlertCrossing[] = []
    let previous = new Map<number, number>()
    steps.forEach((counts, i) => {
      seen.push(...alerts.update(i, i * 1000, diffCounts(previous, counts), stacks))
      previous = counts
    })
    expect(seen).toEqual([
      { alert: 'frames=shmem_*,max=16 pages', source: 'stacks', kind: 'crossed', sample: 1, at: 1000, pages: 17, limitPages: 16, top: [{ key: 1, pages: 17 }] },
      { alert: 'frames=shmem_*,max=16 pages', source: 'stacks', kind: 'recovered', sample: 3, at: 3000, pages: 0, limitPages: 16, top: [] },
    ])
  })
})

describe('parseDuration', () => {
  it('reads ms, s, m, h and bare seconds', () => {
    expect([parseDuration('200ms', 'x'), parseDuration('1.5s', 'x'), parseDuration('10m', 'x'), parseDuration('2h', 'x'), parseDuration('3', 'x')]).toEqual([200, 1500, 600_000, 7_200_000, 3000])
    for (const bad of ['0s', '-1s', '1 day', '', 'soon']) expect(() => parseDuration(bad, '--interval'), bad).toThrow(UsageError)
  })
})

describe('stackLabel', () => {
  it('names a stack by its first telling frame and its syscall, without clone suffixes', () => {
    expect(stackLabel(7, SHMEM)).toBe('shmem_get_folio_gfp … ksys_write')
    expect(stackLabel(7, undefined)).toBe('handle 7')
  })
})
