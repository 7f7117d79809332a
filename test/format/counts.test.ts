import { describe, expect, it } from 'vitest'
import { diffCounts, sumPages } from '../../src/format/counts.js'
import { hashText } from '../../src/format/stack-key.js'

describe('diffCounts', () => {
  it('lists only stacks that changed; absent means 0 pages', () => {
    const before = new Map([[1, 10], [2, 5], [3, 7]])
    const after = new Map([[1, 10], [2, 8], [4, 1]])
    expect(diffCounts(before, after).sort((a, b) => a.key - b.key)).toEqual([
      { key: 2, before: 5, after: 8, delta: 3 },
      { key: 3, before: 7, after: 0, delta: -7 },
      { key: 4, before: 0, after: 1, delta: 1 },
    ])
    expect(sumPages(after)).toBe(19)
  })
})

describe('hashText', () => {
  it('is stable, 53-bit and tells close texts apart', () => {
    expect(hashText(' vfs_write+0x1/0x2')).toBe(hashText(' vfs_write+0x1/0x2'))
    expect(hashText(' vfs_write+0x1/0x2')).not.toBe(hashText(' vfs_write+0x1/0x3'))
    expect(Number.isSafeInteger(hashText('x'))).toBe(true)
  })
})
