import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { defaultCacheDir } from '../../src/io/cache-dir.js'
import { debianKey, findBuiltKernel, findCachedKernel, readBzImageVersion } from '../../src/kernel-build/cache.js'
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

  it('finds a kernel by its request key, with its config and record', () => {
    const image = storeFakeKernel(cacheDir, 'abc')
    expect(findCachedKernel(cacheDir, 'abc')).toMatchObject({ bzImage: image, config: join(cacheDir, 'kernels/abc/config'), record: { version: '7.2.13' } })
    expect(findCachedKernel(cacheDir, 'none')).toBeUndefined()
  })

  it('ignores a directory without a valid kernel.json (an interrupted copy, an older layout)', () => {
    mkdirSync(join(cacheDir, 'kernels', 'abc'), { recursive: true })
    expect(findCachedKernel(cacheDir, 'abc')).toBeUndefined()
    storeFakeKernel(cacheDir, 'old')
    writeFileSync(join(cacheDir, 'kernels/old/kernel.json'), JSON.stringify({ version: '7.2.13', sourcePackage: 'linux-source-7.2', fragmentHash: 'x' }))
    expect(findCachedKernel(cacheDir, 'old')).toBeUndefined()
  })

  it('finds the default kernel by the key of Debian\'s latest source and the recipe', () => {
    expect(findBuiltKernel(cacheDir)).toBeUndefined()
    const image = storeFakeKernel(cacheDir, debianKey({}))
    expect(findBuiltKernel(cacheDir)).toBe(image)
    expect(findBuiltKernel(cacheDir, { version: '6.12' })).toBeUndefined()
    expect(findBuiltKernel(cacheDir, { enable: ['CONFIG_IKCONFIG'] })).toBeUndefined()
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
    const record = findCachedKernel(defaultCacheDir(), debianKey({}))?.record
    expect(record?.version).toMatch(/^\d+\.\d+/)
    expect(readBzImageVersion(image)?.startsWith(`${record?.version} `)).toBe(true)
    expect(image.includes(Buffer.from(record?.version ?? 'none'))).toBe(true)
  })
})
