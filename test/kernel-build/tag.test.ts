import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { formatKernelTag, kernelTag } from '../../src/kernel-build/tag.js'
import { tempDir } from '../helpers.js'
import { fakeBzImage, storeFakeKernel } from './fake-cache.js'

const sha = (text: string | Buffer) => createHash('sha256').update(text).digest('hex').slice(0, 16)

describe('kernelTag', () => {
  it("names a cached kernel's source from its kernel.json, and hashes its config", async () => {
    const bzImage = storeFakeKernel(tempDir(), 'k1', 'CONFIG_PAGE_OWNER=y\n')
    const tag = await kernelTag('7.2.13', bzImage)
    expect(tag).toEqual({ version: '7.2.13', source: 'debian linux-source-7.2 7.2.13-1', config: sha('CONFIG_PAGE_OWNER=y\n') })
    expect(formatKernelTag(tag)).toBe(`7.2.13, debian linux-source-7.2 7.2.13-1, config ${sha('CONFIG_PAGE_OWNER=y\n')}`)
    // Another config is another tag: two kernels of one tree and two configs are told apart.
    const other = await kernelTag('7.2.13', storeFakeKernel(tempDir(), 'k2', 'CONFIG_PAGE_OWNER=y\nCONFIG_IKCONFIG=y\n'))
    expect(other.config).not.toBe(tag.config)
  })

  it("hashes an image page-budget did not build, and its build directory's .config", async () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'arch/x86/boot'), { recursive: true })
    writeFileSync(join(dir, 'arch/x86/boot/bzImage'), fakeBzImage('7.3.0-rc1 (me@host) #4'))
    writeFileSync(join(dir, '.config'), 'CONFIG_X=y\n')
    const tag = await kernelTag('7.3.0-rc1', dir)
    expect(tag).toEqual({ version: '7.3.0-rc1', source: `bzImage sha256 ${sha(readFileSync(join(dir, 'arch/x86/boot/bzImage')))}`, config: sha('CONFIG_X=y\n') })
  })

  it('knows only the release of a kernel it did not boot', async () => {
    expect(await kernelTag('6.12.48')).toEqual({ version: '6.12.48', source: null, config: null })
    expect(formatKernelTag({ version: '6.12.48', source: null, config: null })).toBe('6.12.48')
  })
})
