import { copyFile, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { KernelBuildError } from '../errors.js'
import { acquireLock } from '../io/lock.js'
import { fetchKernelSource } from './apt.js'
import { defaultCacheDir, privateDir } from '../io/cache-dir.js'
import { findCachedKernel, kernelKey, readBzImageVersion, type KernelRecord } from './cache.js'
import { configureKernel, fragmentHash } from './config.js'
import { streamStep } from './run.js'
import { checkBuildTools } from './tools.js'

export { findBuiltKernel } from './cache.js'

export interface BuildKernelOptions {
  cacheDir?: string
  /** Every line of apt, tar and make output, plus page-budget's own step lines. */
  onProgress?: (line: string) => void
  /** Parallel make jobs; all CPUs by default. */
  jobs?: number
  /** Look for a newer source and rebuild even when a kernel for this fragment is cached. */
  force?: boolean
}

export interface KernelBuild {
  bzImage: string
  version: string
  reused: boolean
  seconds: number
}

/** A first build can take many minutes on a small machine; a waiting process must outlast it. */
const LOCK_TIMEOUT_MS = 3 * 60 * 60 * 1000

/**
 * Builds (or reuses) the page_owner test kernel for recipe/page-budget.config: the newest Debian
 * linux-source at or above 6.19, tinyconfig plus the fragment. A cached kernel for the same
 * fragment is returned without touching the network, so this is cheap to call before every run.
 */
export async function buildKernel(options: BuildKernelOptions = {}): Promise<KernelBuild> {
  const started = performance.now()
  const cacheDir = options.cacheDir ?? defaultCacheDir()
  const hash = fragmentHash()
  const reuse = (): KernelBuild | undefined => {
    const cached = options.force ? undefined : findCachedKernel(cacheDir, hash)
    return cached && { bzImage: cached.bzImage, version: cached.record.version, reused: true, seconds: elapsed(started) }
  }
  const early = reuse()
  if (early) return early

  await checkBuildTools()
  const lock = await acquireLock(join(cacheDir, 'build.lock'), { timeout: LOCK_TIMEOUT_MS, what: 'kernel build' })
  try {
    // Another process may have built the same kernel while this one waited for the lock.
    return reuse() ?? (await buildLocked(cacheDir, hash, started, options))
  } finally {
    await lock.release()
  }
}

async function buildLocked(cacheDir: string, hash: string, started: number, options: BuildKernelOptions): Promise<KernelBuild> {
  const onLine = options.onProgress
  onLine?.('page-budget: looking for the newest linux-source (>= 6.19) in Debian sid')
  const source = await fetchKernelSource(cacheDir, onLine)
  const key = kernelKey(source.packageVersion, hash)
  await privateDir(join(cacheDir, 'build'))
  const objectDir = await mkdtemp(join(cacheDir, 'build', `${key}-`))
  try {
    onLine?.(`page-budget: configuring ${source.packageName} ${source.packageVersion} in ${objectDir}`)
    await configureKernel(source.dir, objectDir, onLine)
    const jobs = options.jobs ?? availableParallelism()
    await streamStep('make', [`O=${objectDir}`, `-j${jobs}`, 'bzImage'], {
      cwd: source.dir,
      // The banner would otherwise carry this machine's user and host name.
      env: { KBUILD_BUILD_USER: 'page-budget', KBUILD_BUILD_HOST: 'page-budget' },
      onLine,
    })
    const image = await readFile(join(objectDir, 'arch/x86/boot/bzImage'))
    const version = readBzImageVersion(image)?.split(' ')[0]
    if (!version) throw new KernelBuildError('command-failed', `the built ${objectDir}/arch/x86/boot/bzImage has no version banner`)
    const record: KernelRecord = {
      version,
      sourcePackage: source.packageName,
      sourceVersion: source.packageVersion,
      fragmentHash: hash,
      buildSeconds: elapsed(started),
      builtAt: new Date().toISOString(),
    }
    const bzImage = await publish(join(cacheDir, 'kernels'), key, join(objectDir, 'arch/x86/boot/bzImage'), record)
    onLine?.(`page-budget: kernel ${version} ready at ${bzImage} (${Math.round(record.buildSeconds)} s)`)
    return { bzImage, version, reused: false, seconds: record.buildSeconds }
  } finally {
    await rm(objectDir, { recursive: true, force: true })
  }
}

/**
 * Moves a finished kernel into kernels/<key>/ in one rename, so a reader sees all of it or none,
 * then drops kernels of older sources built from the same fragment.
 */
async function publish(kernels: string, key: string, image: string, record: KernelRecord): Promise<string> {
  await privateDir(kernels)
  const staging = await mkdtemp(join(kernels, `.${key}-`))
  try {
    await copyFile(image, join(staging, 'bzImage'))
    await writeFile(join(staging, 'kernel.json'), `${JSON.stringify(record, null, 2)}\n`)
    const final = join(kernels, key)
    await rm(final, { recursive: true, force: true })
    await rename(staging, final)
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
  const stale = (await readdir(kernels)).filter((name) => name.endsWith(`-${record.fragmentHash}`) && name !== key)
  await Promise.all(stale.map((name) => rm(join(kernels, name), { recursive: true, force: true })))
  return join(kernels, key, 'bzImage')
}

function elapsed(started: number): number {
  return (performance.now() - started) / 1000
}
