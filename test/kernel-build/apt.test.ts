import { describe, expect, it } from 'vitest'
import { newestSourcePackage } from '../../src/kernel-build/apt.js'

describe('newestSourcePackage', () => {
  it('picks the newest X.Y, comparing numbers rather than text', () => {
    const listing = ['linux-source', 'linux-source-6.19', 'linux-source-7.10', 'linux-source-7.2', 'linux-source-7.9'].join('\n')
    expect(newestSourcePackage(listing)).toBe('linux-source-7.10')
  })

  it('accepts 6.19, the first version with show_handles, and nothing older', () => {
    expect(newestSourcePackage('linux-source-6.1\nlinux-source-6.19\nlinux-source-6.9\n')).toBe('linux-source-6.19')
    expect(newestSourcePackage('linux-source-6.1\nlinux-source-6.18\n')).toBeUndefined()
  })

  it('ignores the metapackage and look-alike names', () => {
    expect(newestSourcePackage('linux-source\nlinux-source-8.0-rt\nlinux-source-7.2\n')).toBe('linux-source-7.2')
    expect(newestSourcePackage('')).toBeUndefined()
  })
})
