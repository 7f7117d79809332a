import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { KernelRecord } from '../../src/kernel-build/cache.js'

/** The start of a bzImage: the "HdrS" magic at 0x202 and the banner pointer at 0x20e. */
export function fakeBzImage(banner: string): Buffer {
  const image = Buffer.alloc(0x400)
  image.write('HdrS', 0x202, 'latin1')
  image.writeUInt16LE(0x100, 0x20e)
  image.write(`${banner}\0`, 0x300, 'latin1')
  return image
}

/** Lays out a cached kernel the way buildKernel publishes one; returns its bzImage path. */
export function storeFakeKernel(cacheDir: string, key: string, config = 'CONFIG_PAGE_OWNER=y\n'): string {
  const dir = join(cacheDir, 'kernels', key)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'bzImage'), fakeBzImage('7.2.13 (page-budget@page-budget) #1'))
  writeFileSync(join(dir, 'config'), config)
  const record: KernelRecord = {
    version: '7.2.13',
    source: { kind: 'debian', package: 'linux-source-7.2', packageVersion: '7.2.13-1' },
    fragments: ['recipe/page-budget.config'],
    patches: [],
    compiler: 'gcc (Debian 14.2.0-19) 14.2.0',
    buildSeconds: 1,
    builtAt: '2026-01-01T00:00:00.000Z',
  }
  writeFileSync(join(dir, 'kernel.json'), JSON.stringify(record))
  return join(dir, 'bzImage')
}
