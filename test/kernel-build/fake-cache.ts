import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { kernelKey, type KernelRecord } from '../../src/kernel-build/cache.js'

/** The start of a bzImage: the "HdrS" magic at 0x202 and the banner pointer at 0x20e. */
export function fakeBzImage(banner: string): Buffer {
  const image = Buffer.alloc(0x400)
  image.write('HdrS', 0x202, 'latin1')
  image.writeUInt16LE(0x100, 0x20e)
  image.write(`${banner}\0`, 0x300, 'latin1')
  return image
}

/** Lays out a cached kernel the way buildKernel publishes one; returns its bzImage path. */
export function storeFakeKernel(cacheDir: string, sourceVersion: string, hash: string, builtAt: string): string {
  const dir = join(cacheDir, 'kernels', kernelKey(sourceVersion, hash))
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'bzImage'), fakeBzImage('7.2.13 (page-budget@page-budget) #1'))
  const record: KernelRecord = { version: '7.2.13', sourcePackage: 'linux-source-7.2', sourceVersion, fragmentHash: hash, buildSeconds: 1, builtAt }
  writeFileSync(join(dir, 'kernel.json'), JSON.stringify(record))
  return join(dir, 'bzImage')
}
