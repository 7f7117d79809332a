import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { defaultCacheDir } from '../io/cache-dir.js'
import { fragmentHash } from './config.js'

/** What a cached kernel's kernel.json records beside its bzImage. */
export const KernelRecord = z.object({
  /** Kernel release as the image states it, such as 7.2.13. */
  version: z.string(),
  sourcePackage: z.string(),
  sourceVersion: z.string(),
  fragmentHash: z.string(),
  buildSeconds: z.number(),
  builtAt: z.string(),
})
export type KernelRecord = z.infer<typeof KernelRecord>

export interface CachedKernel {
  bzImage: string
  record: KernelRecord
}

/** Kernels live in kernels/<sourceVersion>-<fragmentHash>/: found by hash alone, so no apt call is needed. */
export function kernelKey(sourceVersion: string, hash: string): string {
  return `${sourceVersion}-${hash}`
}

/** The newest complete kernel built from a fragment with this hash, if any. */
export function findCachedKernel(cacheDir: string, hash: string): CachedKernel | undefined {
  const kernels = join(cacheDir, 'kernels')
  if (!existsSync(kernels)) return undefined
  const found = readdirSync(kernels)
    .filter((name) => name.endsWith(`-${hash}`))
    .flatMap((name) => {
      const bzImage = join(kernels, name, 'bzImage')
      const record = readRecord(join(kernels, name, 'kernel.json'))
      return record && existsSync(bzImage) ? [{ bzImage, record }] : []
    })
    .sort((a, b) => b.record.builtAt.localeCompare(a.record.builtAt))
  return found[0]
}

/** The cached bzImage for the current recipe/page-budget.config, or undefined when none is built yet. */
export function findBuiltKernel(cacheDir: string = defaultCacheDir()): string | undefined {
  return findCachedKernel(cacheDir, fragmentHash())?.bzImage
}

function readRecord(path: string): KernelRecord | undefined {
  try {
    return KernelRecord.parse(JSON.parse(readFileSync(path, 'utf8')))
  } catch {
    // Missing or from an older layout: treated as not built.
    return undefined
  }
}

/**
 * The version banner a bzImage carries uncompressed in its setup header ("7.2.13 (user@host) #1
 * SMP ..."): the x86 boot protocol puts a pointer to it at 0x20e, relative to 0x200.
 */
export function readBzImageVersion(image: Uint8Array): string | undefined {
  const view = Buffer.from(image.buffer, image.byteOffset, image.byteLength)
  if (view.length < 0x210 || view.toString('latin1', 0x202, 0x206) !== 'HdrS') return undefined
  const start = view.readUInt16LE(0x20e) + 0x200
  const end = view.indexOf(0, start)
  return end > start ? view.toString('latin1', start, end) : undefined
}
