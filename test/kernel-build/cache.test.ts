import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { defaultCacheDir } from '../../src/io/cache-dir.js'
import { findBuiltKernel, findCachedKernel, kernelKey, readBzImageVersion } from '../../src/kernel-build/cache.js'
import { fragmentHash } from '../../src/kernel-build/config.js'
import { fakeBzImage, storeFakeKernel } from './fake-cache.js'

describe('readBzImageVersion', () => {
  it('reads the banner through the setup header', () => {
    expect(readBzImageVersion(fakeBzImage('7.2.13 (page-budget@page-budget) #1 SMP'))).toBe('7.2.13 (page-budget@page-budget) #1 SMP')
  })

  it('gives undefined for something that is not a bzImage', () => {
    expect(readBzImageVersion(Buffer.alloc(0x400))).toBeUndefined()
  })
})

describe('findCachedKernel', () => {
  let cacheDir: string
  beforeEach(() => {
    cacheDir = mkdtempSync(join(tmpdir(), 'page-budget-cache-'))
  })

  it('finds the newest kernel for the fragment hash without knowing the source version', () => {
    storeFakeKernel(cacheDir, '7.2.12-1', 'abc', '2026-01-01T00:00:00.000Z')
    const newest = storeFakeKernel(cacheDir, '7.2.13-1', 'abc', '2026-02-01T00:00:00.000Z')
    storeFakeKernel(cacheDir, '7.2.13-1', 'other', '2026-03-01T00:00:00.000Z')
    expect(findCachedKernel(cacheDir, 'abc')?.bzImage).toBe(newest)
    expect(findCachedKernel(cacheDir, 'none')).toBeUndefined()
  })

  it('ignores a directory without a valid kernel.json (an interrupted copy)', () => {
    mkdirSync(join(cacheDir, 'kernels', kernelKey('7.2.13-1', 'abc')), { recursive: true })
    expect(findCachedKernel(cacheDir, 'abc')).toBeUndefined()
  })

  it('looks in the current fragment hash under the given cache dir', () => {
    expect(findBuiltKernel(cacheDir)).toBeUndefined()
    const image = storeFakeKernel(cacheDir, '7.2.13-1', fragmentHash(), '2026-01-01T00:00:00.000Z')
    expect(findBuiltKernel(cacheDir)).toBe(image)
  })
})

describe('defaultCacheDir', () => {
  const saved = { ...process.env }
  afterEach(() => {
    process.env = { ...saved }
  })

  it('prefers PAGE_BUDGET_CACHE, then XDG_CACHE_HOME', () => {
    process.env.PAGE_BUDGET_CACHE = '/x/pb'
    process.env.XDG_CACHE_HOME = '/x/xdg'
    expect(defaultCacheDir()).toBe('/x/pb')
    delete process.env.PAGE_BUDGET_CACHE
    expect(defaultCacheDir()).toBe('/x/xdg/page-budget')
    delete process.env.XDG_CACHE_HOME
    expect(defaultCacheDir()).toMatch(/\/\.cache\/page-budget$/)
  })
})

// Only where a real kernel was built (npm run setup): the test never builds one itself.
const built = findBuiltKernel()
describe.skipIf(!built)('the built test kernel', () => {
  it('is the cached bzImage, and its banner names the recorded version', () => {
    const image = readFileSync(built as string)
    const record = findCachedKernel(defaultCacheDir(), fragmentHash())?.record
    expect(record?.version).toMatch(/^\d+\.\d+/)
    expect(readBzImageVersion(image)?.startsWith(`${record?.version} `)).toBe(true)
    expect(image.includes(Buffer.from(record?.version ?? 'none'))).toBe(true)
  })
})
