import { describe, expect, it } from 'vitest'
import { parseSourceVersion, sourcePackageFor } from '../../src/kernel-build/apt.js'
import { UsageError } from '../../src/errors.js'

describe('sourcePackageFor latest', () => {
  it('picks the newest X.Y, comparing numbers rather than text', () => {
    const listing = ['linux-source', 'linux-source-6.19', 'linux-source-7.10', 'linux-source-7.2', 'linux-source-7.9'].join('\n')
    expect(sourcePackageFor(listing, 'latest')).toBe('linux-source-7.10')
  })

  it('accepts 6.19, the first version with show_handles, and nothing older', () => {
    expect(sourcePackageFor('linux-source-6.1\nlinux-source-6.19\nlinux-source-6.9\n', 'latest')).toBe('linux-source-6.19')
    expect(sourcePackageFor('linux-source-6.1\nlinux-source-6.18\n', 'latest')).toBeUndefined()
  })

  it('ignores the metapackage and look-alike names', () => {
    expect(sourcePackageFor('linux-source\nlinux-source-8.0-rt\nlinux-source-7.2\n', 'latest')).toBe('linux-source-7.2')
    expect(sourcePackageFor('', 'latest')).toBeUndefined()
  })
})

describe('sourcePackageFor a kernel line', () => {
  const listing = 'linux-source-6.1\nlinux-source-6.12\nlinux-source-7.2\n'
  it('picks exactly that line, old ones included', () => {
    expect(sourcePackageFor(listing, '6.1')).toBe('linux-source-6.1')
    expect(sourcePackageFor(listing, '6.12')).toBe('linux-source-6.12')
    expect(sourcePackageFor(listing, '6.2')).toBeUndefined()
  })
  it('accepts latest and X.Y, and names anything else', () => {
    expect(parseSourceVersion('latest')).toBe('latest')
    expect(parseSourceVersion('6.12')).toBe('6.12')
    expect(() => parseSourceVersion('6.12.3')).toThrow(UsageError)
    expect(() => parseSourceVersion('newest')).toThrow(/kernel line such as 6.12/)
  })
})
