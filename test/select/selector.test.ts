import { describe, expect, it } from 'vitest'
import { UsageError } from '../../src/errors.js'
import type { Frame } from '../../src/format/types.js'
import { compileSelector } from '../../src/select/selector.js'
import { trimFrames } from '../../src/select/trim.js'

const frame = (fn: string, module?: string): Frame => ({ fn, offset: 0, size: 1, raw: `${fn}+0x0/0x1`, ...(module && { module }) })
const ddWrite = ['get_page_from_freelist', '__alloc_frozen_pages_noprof', '__folio_alloc_noprof', 'shmem_get_folio_gfp.constprop.0', 'shmem_write_begin', 'generic_perform_write', 'shmem_file_write_iter', 'vfs_write', 'ksys_write', 'do_syscall_64', 'entry_SYSCALL_64_after_hwframe'].map((fn) => frame(fn))
const xfsRead = [frame('get_page_from_freelist'), frame('xfs_file_read_iter', 'xfs'), frame('vfs_read')]

describe('compileSelector', () => {
  it('needs every pattern to match some frame', () => {
    expect(compileSelector({ frames: ['shmem_*', 'vfs_write'] }).matches(1, ddWrite)).toBe(true)
    expect(compileSelector({ frames: ['shmem_*', 'vfs_read'] }).matches(1, ddWrite)).toBe(false)
  })
  it('matches compiler clones by their full or source name', () => {
    expect(compileSelector({ frames: ['shmem_get_folio_gfp'] }).matches(1, ddWrite)).toBe(true)
    expect(compileSelector({ frames: ['shmem_get_folio_gfp.constprop.*'] }).matches(1, ddWrite)).toBe(true)
    expect(compileSelector({ frames: ['shmem_get_folio_gfp.isra.*'] }).matches(1, ddWrite)).toBe(false)
  })
  it('excludes stacks with a !pattern frame', () => {
    expect(compileSelector({ frames: ['shmem_*', '!vfs_write'] }).matches(1, ddWrite)).toBe(false)
    expect(compileSelector({ frames: ['!xfs_*'] }).matches(1, ddWrite)).toBe(true)
  })
  it('filters by module', () => {
    expect(compileSelector({ module: 'xfs' }).matches(1, xfsRead)).toBe(true)
    expect(compileSelector({ module: 'xfs' }).matches(2, ddWrite)).toBe(false)
  })
  it('selects every stack when no pattern is given', () => {
    const all = compileSelector()
    expect(all.matches(1, ddWrite)).toBe(true)
    expect(all.description).toBe('all stacks')
  })
  it('answers each key once (stacks never change within a boot)', () => {
    const selector = compileSelector({ frames: ['vfs_write'] })
    expect(selector.matches(7, ddWrite)).toBe(true)
    expect(selector.matches(7, xfsRead)).toBe(true)
  })
  it('describes itself for messages', () => {
    expect(compileSelector({ frames: ['shmem_*', '!kmem_*'], module: 'xfs' }).description).toBe('shmem_* & !kmem_* & [xfs]')
  })
  it('rejects patterns that are not a list of strings', () => {
    expect(() => compileSelector({ frames: 'shmem_*' as unknown as string[] })).toThrow(UsageError)
    expect(() => compileSelector({ frames: [''] })).toThrow(UsageError)
  })
})

describe('trimFrames', () => {
  it('drops allocator and syscall-entry frames', () => {
    expect(trimFrames(ddWrite)).toEqual(['…', 'shmem_get_folio_gfp.constprop.0', 'shmem_write_begin', 'generic_perform_write', 'shmem_file_write_iter', 'vfs_write', 'ksys_write', '…'])
  })
  it('keeps named frames when it has to cut', () => {
    const keep = compileSelector({ frames: ['vfs_write'] }).names
    expect(trimFrames(ddWrite, keep, 3)).toEqual(['…', 'shmem_get_folio_gfp.constprop.0', '…', 'vfs_write', 'ksys_write', '…'])
  })
  it('shows modules', () => {
    expect(trimFrames(xfsRead)).toEqual(['…', 'xfs_file_read_iter [xfs]', 'vfs_read'])
  })
})
