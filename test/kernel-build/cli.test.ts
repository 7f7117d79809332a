import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { debianKey } from '../../src/kernel-build/cache.js'
import { runKernelCommand } from '../../src/kernel-build/cli.js'
import { RECIPE_PATH } from '../../src/kernel-build/request.js'
import { tempDir } from '../helpers.js'
import { storeFakeKernel } from './fake-cache.js'

describe('page-budget kernel', () => {
  let cacheDir: string
  let out: string
  let err: string
  beforeEach(() => {
    cacheDir = mkdtempSync(join(tmpdir(), 'page-budget-cli-'))
    out = ''
    err = ''
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true))
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true))
  })
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('path exits 1 with a hint when nothing is built', async () => {
    expect(await runKernelCommand(['path', '--cache', cacheDir])).toBe(1)
    expect(err).toContain('page-budget kernel build')
    expect(out).toBe('')
  })

  it('path prints the cached bzImage for the options given', async () => {
    const bzImage = storeFakeKernel(cacheDir, debianKey({}))
    expect(await runKernelCommand(['path', '--cache', cacheDir])).toBe(0)
    expect(out).toBe(`${bzImage}\n`)
    expect(await runKernelCommand(['path', '--cache', cacheDir, '--enable', 'CONFIG_IKCONFIG'])).toBe(1)
  })

  it('build returns the cached kernel without building when one exists', async () => {
    const bzImage = storeFakeKernel(cacheDir, debianKey({ version: '6.12' }))
    expect(await runKernelCommand(['build', '--cache', cacheDir, '--version', '6.12'])).toBe(0)
    expect(err).toContain('kernel 7.2.13 reused')
    expect(out).toBe(`${bzImage}\n`)
  })

  it('rejects unknown commands, options and bad --jobs or --version with exit 2', async () => {
    expect(await runKernelCommand(['frobnicate'])).toBe(2)
    expect(await runKernelCommand(['build', '--bogus'])).toBe(2)
    expect(await runKernelCommand(['build', '--jobs', 'two'])).toBe(2)
    expect(await runKernelCommand(['build', '--version', 'newest'])).toBe(2)
    expect(await runKernelCommand(['build', '--version', '6.12', '--source', '.'])).toBe(2)
    expect(err).toContain('usage: page-budget kernel build')
  })

  it('names a source that is no kernel tree, and a misspelt option, with exit 1', async () => {
    expect(await runKernelCommand(['build', '--cache', cacheDir, '--source', tempDir()])).toBe(1)
    expect(err).toContain('is not a kernel source tree')
    expect(await runKernelCommand(['build', '--cache', cacheDir, '--enable', 'CONFIG FOO'])).toBe(1)
    expect(err).toContain('not a config option: "CONFIG FOO"')
  })

  it('check lists what a kernel lacks, option by option, and exits 1 when it cannot serve', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, '.config'), 'CONFIG_64BIT=y\nCONFIG_PAGE_OWNER=y\n')
    expect(await runKernelCommand(['check', dir])).toBe(1)
    expect(out).toContain(`${join(dir, '.config')} lacks:`)
    expect(out).toMatch(/CONFIG_VIRTIO_CONSOLE\s+boot: no virtio console: the agent has no channel to the host/)
    expect(out).toMatch(/CONFIG_DEBUG_FS\s+page_owner: no debugfs/)
    expect(out).toMatch(/CONFIG_ZRAM\s+feature: no zram swap/)
    expect(out).not.toContain('CONFIG_PAGE_OWNER ')
  })

  it('check passes a kernel built from the recipe', async () => {
    const recipe = readFileSync(RECIPE_PATH, 'utf8')
    const bzImage = storeFakeKernel(cacheDir, 'k', recipe)
    expect(await runKernelCommand(['check', bzImage])).toBe(0)
    expect(out).toContain("has every option page-budget's QEMU target uses")
    expect(await runKernelCommand(['check', join(tempDir(), 'bzImage')])).toBe(1)
    expect(err).toContain('no .config found')
  })
})
