import { describe, expect, it } from 'vitest'
import { FrameCache, parseFrame } from '../../src/format/frame.js'
import { FrameSchema } from '../../src/format/schema.js'
import { captureText, pageOwnerText } from './helpers.js'

describe('parseFrame', () => {
  it.each([
    [' shmem_alloc_folio+0x97/0xb0', { fn: 'shmem_alloc_folio', offset: 0x97, size: 0xb0, raw: 'shmem_alloc_folio+0x97/0xb0' }],
    ['shmem_alloc_folio+0x97/0xb0', { fn: 'shmem_alloc_folio', offset: 0x97, size: 0xb0, raw: 'shmem_alloc_folio+0x97/0xb0' }],
    [
      ' xfs_file_read_iter+0x1f0/0x380 [xfs]',
      { fn: 'xfs_file_read_iter', offset: 0x1f0, size: 0x380, module: 'xfs', raw: 'xfs_file_read_iter+0x1f0/0x380 [xfs]' },
    ],
    [
      ' nfs_read+0x10/0x20 [nfs 0a1b2c3d4e5f]',
      { fn: 'nfs_read', offset: 0x10, size: 0x20, module: 'nfs', raw: 'nfs_read+0x10/0x20 [nfs 0a1b2c3d4e5f]' },
    ],
    [' shmem_get_folio_gfp.constprop.0+0x19a/0x4a7', { fn: 'shmem_get_folio_gfp.constprop.0', offset: 0x19a, size: 0x4a7 }],
    [' do_thing.isra.0+0x0/0x5', { fn: 'do_thing.isra.0', offset: 0, size: 5 }],
    [' __do_fault.cold+0x1/0x2', { fn: '__do_fault.cold', offset: 1, size: 2 }],
    ['\t  tabbed+0x1/0x2', { fn: 'tabbed', raw: 'tabbed+0x1/0x2' }],
    [' 0xffffffff81234567', { fn: '0xffffffff81234567', offset: 0, size: 0, raw: '0xffffffff81234567' }],
  ])('%j', (line, expected) => {
    expect(parseFrame(line)).toMatchObject(expected)
  })

  it('has no module key when the kernel prints none', () => {
    expect(parseFrame(' f+0x1/0x2')).not.toHaveProperty('module')
  })

  it.each([
    '',
    ' ',
    'nr_base_pages: 65536',
    'handle: 1572869',
    'Charged to memcg /',
    'Page allocated via order 0, mask 0x0(), pid 0, tgid 0 (swapper), ts 1 ns',
    ' +0x1/0x2',
    ' f+0x/0x2',
    ' f+0x1/0x',
    ' f+0x1/0xZ',
    ' f+0x01/0x2',
    ' f+0x1/0x2 ',
    ' f+0x1/0x2 [xfs',
    ' f+0x1/0x2 []',
    ' f+0x1/0x2 xfs',
    ' two words+0x1/0x2',
    ' f+1/0x2',
    ' 0x',
    ' 0xfffffffffffffffff1', // more than 64 bits
    ' 0xdeadbeefg',
    ` f+0x${'f'.repeat(20)}/0x2`,
  ])('rejects %j', (line) => {
    expect(parseFrame(line)).toBeUndefined()
  })
})

describe('FrameCache', () => {
  it('shares one frozen Frame per distinct line', () => {
    const cache = new FrameCache()
    const a = cache.parse(' vfs_write+0x108/0x166')
    expect(a).toEqual({ fn: 'vfs_write', offset: 0x108, size: 0x166, raw: 'vfs_write+0x108/0x166' })
    expect(cache.parse(' vfs_write+0x108/0x166')).toBe(a)
    expect(Object.isFrozen(a)).toBe(true)
    expect(cache.parse('Charged to memcg /')).toBeUndefined()
    expect(cache.parse('Charged to memcg /')).toBeUndefined()
  })

  it('makes only frames FrameSchema passes, on every frame line of the captures', () => {
    const lines = new Set(['after.show_stacks', 'after.show_stacks_handles'].map(captureText).concat(pageOwnerText()).join('\n').split('\n'))
    const cache = new FrameCache()
    let frames = 0
    for (const line of lines) {
      const frame = cache.parse(line)
      if (frame === undefined) continue
      frames++
      expect(FrameSchema.safeParse(frame).success, line).toBe(true)
    }
    expect(frames).toBeGreaterThan(500)
  })
})
