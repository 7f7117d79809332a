import { describe, expect, it } from 'vitest'
import { KernelBuildError } from '../../src/errors.js'
import { buildPackages, checkBuildTools, type ToolProbe } from '../../src/kernel-build/tools.js'

function probe(missing: string[]): ToolProbe {
  return {
    hasCommand: async (name) => !missing.includes(name),
    hasHeader: async (name) => !missing.includes(name),
  }
}

describe('checkBuildTools', () => {
  it('passes when everything is there', async () => {
    await expect(checkBuildTools(probe([]))).resolves.toBeUndefined()
  })

  it('names every missing tool with the Debian package to install', async () => {
    const error = await checkBuildTools(probe(['bison', 'xz', 'gelf.h'])).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KernelBuildError)
    expect(error).toMatchObject({ reason: 'missing-tools', code: 'E_KERNEL_BUILD' })
    const { message, hint } = error as KernelBuildError
    expect(message).toContain('bison (bison), xz (xz-utils), gelf.h (libelf-dev)')
    expect(hint).toContain('apt-get install -y bison xz-utils libelf-dev')
  })
})

describe('buildPackages', () => {
  it('lists each package once', () => {
    const packages = buildPackages()
    expect(new Set(packages).size).toBe(packages.length)
    expect(packages).toEqual(expect.arrayContaining(['libelf-dev', 'libssl-dev', 'flex', 'bison', 'bc']))
  })
})
