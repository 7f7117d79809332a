import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { runKernelCommand } from '../../src/kernel-build/cli.js'
import { fragmentHash } from '../../src/kernel-build/config.js'
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

  it('path prints the cached bzImage', async () => {
    const bzImage = storeFakeKernel(cacheDir, '7.2.13-1', fragmentHash(), '2026-01-01T00:00:00.000Z')
    expect(await runKernelCommand(['path', '--cache', cacheDir])).toBe(0)
    expect(out).toBe(`${bzImage}\n`)
  })

  it('build returns the cached kernel without building when one exists', async () => {
    const bzImage = storeFakeKernel(cacheDir, '7.2.13-1', fragmentHash(), '2026-01-01T00:00:00.000Z')
    expect(await runKernelCommand(['build', '--cache', cacheDir])).toBe(0)
    expect(err).toContain('kernel 7.2.13 reused')
    expect(out).toBe(`${bzImage}\n`)
  })

  it('rejects unknown commands, options and bad --jobs with exit 2', async () => {
    expect(await runKernelCommand(['frobnicate'])).toBe(2)
    expect(await runKernelCommand(['build', '--bogus'])).toBe(2)
    expect(await runKernelCommand(['build', '--jobs', 'two'])).toBe(2)
    expect(err).toContain('usage: page-budget kernel build')
  })
})
