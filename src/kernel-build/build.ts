import { copyFile, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { KernelBuildError } from '../errors.js'
import { defaultCacheDir, privateDir } from '../io/cache-dir.js'
import { acquireLock } from '../io/lock.js'
import { fetchKernelSource } from './apt.js'
import { compilerId, findCachedKernel, planBuild, readBzImageVersion, type KernelRecord } from './cache.js'
import { configureKernel, fragmentsFor, treeLine } from './config.js'
import { patchedTree } from './patch.js'
import type { KernelRequest } from './request.js'
import { BuildLog } from './run.js'
import { prepareBuildDir, rememberBuilt } from './build-dir.js'
import { checkBuildTools } from './tools.js'
import { readKernelTree } from './tree.js'

export { findBuiltKernel } from './cache.js'

export interface BuildKernelOptions extends KernelRequest {
  cacheDir?: string
  /** Every line of apt, tar and make output, plus page-budget's own step lines (all also go to the log file). */
  onLine?: (line: string) => void
  /** Parallel make jobs; all CPUs by default. */
  jobs?: number
  /** Build even when a kernel for this request is cached (for Debian: also look for a newer source). */
  force?: boolean
  /**
   * The tree `source` is a hard-linked copy of (`cp -al`, files changed since replaced rather than
   * written, as git does): its first build starts from that tree's build directory instead of
   * from nothing (build-dir.ts).
   */
  copyOf?: string
}

export interface KernelBuild {
  bzImage: string
  /** The .config it was built with. */
  config: string
  version: string
  reused: boolean
  seconds: number
  /** The build's full log (absent when a cached kernel was reused). */
  log?: string
}

/** A first build can take many minutes on a small machine; a waiting process must outlast it. */
const LOCK_TIMEOUT_MS = 3 * 60 * 60 * 1000

/**
 * Builds (or reuses) a kernel: page-budget's recipe (recipe/page-budget.config) and the user's
 * fragments and options on tinyconfig, from the user's tree (out of tree, under the cache) or
 * Debian's linux-source. A cached kernel for the same request is returned without touching the
 * network, so this is cheap to call before every run. Each source tree and configuration keeps
 * a build directory, so the next commit is incremental, and a new configuration or a patched
 * copy starts from the tree's first one (build-dir.ts).
 */
export async function buildKernel(options: BuildKernelOptions = {}): Promise<KernelBuild> {
  const started = performance.now()
  const cacheDir = options.cacheDir ?? defaultCacheDir()
  const tree = options.source === undefined ? undefined : await readKernelTree(options.source)
  const { fragments, patches, version, key } = planBuild(options, tree)
  const reuse = (): KernelBuild | undefined => {
    const cached = options.force ? undefined : findCachedKernel(cacheDir, key)
    return cached && { bzImage: cached.bzImage, config: cached.config, version: cached.record.version, reused: true, seconds: elapsed(started) }
  }
  const early = reuse()
  if (early) return early

  await checkBuildTools()
  const lock = await acquireLock(join(cacheDir, 'build.lock'), { timeout: LOCK_TIMEOUT_MS, what: 'kernel build' })
  try {
    // Another process may have built the same kernel while this one waited for the lock.
    const done = reuse()
    if (done) return done
    const log = await BuildLog.open(join(cacheDir, 'logs', `${key}.log`), options.onLine)
    log.note(`full log: ${log.path}`)
    try {
      let source: KernelRecord['source']
      let sourceDir: string
      if (tree) {
        source = { kind: 'tree', dir: tree.dir, state: tree.description }
        sourceDir = tree.dir
      } else {
        log.note(`looking for Debian's linux-source (${version})`)
        const debian = await fetchKernelSource(cacheDir, version, log.step)
        source = { kind: 'debian', package: debian.packageName, packageVersion: debian.packageVersion }
        sourceDir = debian.dir
      }
      let base = options.copyOf === undefined ? undefined : resolve(options.copyOf)
      if (patches.length > 0) {
        base = sourceDir
        sourceDir = await patchedTree(base, patches, cacheDir, log)
      }
      const line = await treeLine(sourceDir)
      const merged = fragmentsFor(fragments, line)
      for (const fragment of merged.filter(({ before }) => before)) log.note(`this tree is ${line!.join('.')}: ${fragment.name} is merged too`)
      const objectDir = await prepareBuildDir(cacheDir, sourceDir, merged, log, base)
      log.note(`configuring ${sourceDir} in ${objectDir}`)
      const config = await configureKernel(sourceDir, objectDir, merged, log.step, (note) => log.note(note))
      await log.step('make', [`O=${objectDir}`, `-j${options.jobs ?? availableParallelism()}`, 'bzImage'], {
        cwd: sourceDir,
        // The banner would otherwise carry this machine's user and host name.
        env: { KBUILD_BUILD_USER: 'page-budget', KBUILD_BUILD_HOST: 'page-budget' },
      })
      const image = join(objectDir, 'arch/x86/boot/bzImage')
      const release = readBzImageVersion(await readFile(image))?.split(' ')[0]
      if (!release) throw new KernelBuildError('command-failed', `the built ${image} has no version banner`, { log: log.path })
      const record: KernelRecord = {
        version: release,
        source,
        fragments: merged.map((fragment) => fragment.name),
        patches,
        compiler: compilerId(),
        buildSeconds: elapsed(started),
        builtAt: new Date().toISOString(),
      }
      await rememberBuilt(cacheDir, sourceDir, objectDir)
      const bzImage = await publish(join(cacheDir, 'kernels'), key, objectDir, config, record)
      log.note(`kernel ${release} ready at ${bzImage} (${Math.round(record.buildSeconds)} s)`)
      return { bzImage, config: join(cacheDir, 'kernels', key, 'config'), version: release, reused: false, seconds: record.buildSeconds, log: log.path }
    } finally {
      await log.close()
    }
  } finally {
    await lock.release()
  }
}

/**
 * Moves a finished kernel into kernels/<key>/ in one rename, so a reader sees all of it or none.
 * System.map goes with the image: a boot that stalls is reported with the kernel functions its
 * vCPUs were in (target/qemu/monitor.ts).
 */
async function publish(kernels: string, key: string, objectDir: string, config: string, record: KernelRecord): Promise<string> {
  await privateDir(kernels)
  const staging = await mkdtemp(join(kernels, `.${key}-`))
  try {
    await copyFile(join(objectDir, 'arch/x86/boot/bzImage'), join(staging, 'bzImage'))
    await copyFile(join(objectDir, 'System.map'), join(staging, 'System.map'))
    await writeFile(join(staging, 'config'), config)
    await writeFile(join(staging, 'kernel.json'), `${JSON.stringify(record, null, 2)}\n`)
    const final = join(kernels, key)
    await rm(final, { recursive: true, force: true })
    await rename(staging, final)
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
  return join(kernels, key, 'bzImage')
}

function elapsed(started: number): number {
  return (performance.now() - started) / 1000
}
