import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { defaultCacheDir } from '../io/cache-dir.js'
import type { SourceVersion } from './apt.js'
import { requestedFragments, requestedPatches, requestKey, sourceVersionOf, type Fragment, type KernelRequest } from './request.js'
import type { KernelTree } from './tree.js'

/** What a cached kernel's kernel.json records beside its bzImage and .config. */
export const KernelRecord = z.object({
  /** Kernel release as the image states it, such as 7.2.13. */
  version: z.string(),
  source: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('debian'), package: z.string(), packageVersion: z.string() }),
    z.object({ kind: z.literal('tree'), dir: z.string(), state: z.string() }),
  ]),
  /** The fragments merged onto tinyconfig, in order. */
  fragments: z.array(z.string()),
  /** The patches applied to (a linked copy of) the source, in order. */
  patches: z.array(z.string()),
  compiler: z.string(),
  buildSeconds: z.number(),
  builtAt: z.string(),
})
export type KernelRecord = z.infer<typeof KernelRecord>

export interface CachedKernel {
  bzImage: string
  /** The .config it was built with. */
  config: string
  record: KernelRecord
}

/** Kernels live in kernels/<key>/ (requestKey): found by the key alone, with no apt call or build. */
export function findCachedKernel(cacheDir: string, key: string): CachedKernel | undefined {
  const dir = join(cacheDir, 'kernels', key)
  const bzImage = join(dir, 'bzImage')
  const record = readKernelRecord(join(dir, 'kernel.json'))
  return record && existsSync(bzImage) ? { bzImage, config: join(dir, 'config'), record } : undefined
}

/**
 * The cached bzImage for Debian's source and the recipe (with `version`'s line, `latest` by
 * default, and the request's options), or undefined when none is built yet: what the QEMU
 * target boots by default.
 */
export function findBuiltKernel(cacheDir: string = defaultCacheDir(), request: Omit<KernelRequest, 'source'> = {}): string | undefined {
  return findCachedKernel(cacheDir, debianKey(request))?.bzImage
}

/** What a request builds, worked out once: its fragments, patches, Debian line and cache key. */
export interface BuildPlan {
  fragments: Fragment[]
  patches: string[]
  version: SourceVersion
  key: string
}

/** The plan of a request on `tree` (the user's, read already), or on Debian's source, whose line stands in for the tree. */
export function planBuild(request: KernelRequest, tree?: KernelTree): BuildPlan {
  const fragments = requestedFragments(request)
  const patches = requestedPatches(request)
  const version = sourceVersionOf(request)
  const source = tree ? `tree:${tree.dir}:${tree.state}` : `debian:${version}`
  return { fragments, patches, version, key: requestKey(source, fragments, compilerId(), patches) }
}

/** The cache key of a build from Debian's source. */
export function debianKey(request: Omit<KernelRequest, 'source'>): string {
  return planBuild(request).key
}

let compiler: string | undefined

/** The compiler's first `--version` line, once per process: a new compiler means new kernels. */
export function compilerId(): string {
  if (compiler === undefined) {
    try {
      compiler = execFileSync('gcc', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]!.trim()
    } catch {
      compiler = 'no gcc'
    }
  }
  return compiler
}

/** The kernel.json at `path`, or undefined when there is none (or it is of an older layout). */
export function readKernelRecord(path: string): KernelRecord | undefined {
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
