import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { KernelBuildError } from '../errors.js'
import { queryStep, streamStep } from './run.js'

/** show_handles, the cheapest per-sample read, came with v6.19: older sources are no use. */
const MINIMUM = [6, 19] as const

/**
 * Debian sid, in a list of our own: the machine's suites may only have older kernels, and a
 * private Dir::Etc::SourceParts / Dir::State::Lists pair never touches the system's apt state.
 * Binary packages only: linux-source-X.Y carries the whole tarball, so deb-src is not needed.
 */
const SID_SOURCES = `Types: deb
URIs: http://deb.debian.org/debian
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`

export interface KernelSource {
  /** Debian package, such as linux-source-7.2. */
  packageName: string
  /** Debian package version, such as 7.2.13-1. */
  packageVersion: string
  /** The unpacked tree, kept for later builds (and tools/mm/page_owner_sort). */
  dir: string
}

/** The newest `linux-source-X.Y` at or above 6.19 among package names (apt-cache pkgnames output). */
export function newestSourcePackage(pkgnames: string): string | undefined {
  const candidates = pkgnames
    .split('\n')
    .map((name) => ({ name: name.trim(), match: /^linux-source-(\d+)\.(\d+)$/.exec(name.trim()) }))
    .flatMap(({ name, match }) => (match ? [{ name, major: Number(match[1]), minor: Number(match[2]) }] : []))
    .filter(({ major, minor }) => major > MINIMUM[0] || (major === MINIMUM[0] && minor >= MINIMUM[1]))
    .sort((a, b) => b.major - a.major || b.minor - a.minor)
  return candidates[0]?.name
}

/** Finds the newest kernel source in sid, downloads and unpacks it once per package version. */
export async function fetchKernelSource(cacheDir: string, onLine?: (line: string) => void): Promise<KernelSource> {
  const apt = await privateApt(join(cacheDir, 'apt'))
  await streamStep('apt-get', [...apt, 'update'], { onLine })
  const packageName = newestSourcePackage(await queryStep('apt-cache', [...apt, 'pkgnames', 'linux-source-']))
  if (!packageName) {
    throw new KernelBuildError('no-source', `Debian sid lists no linux-source-X.Y package at or above ${MINIMUM.join('.')}`, {
      hint: 'check that deb.debian.org is reachable; `apt-cache pkgnames linux-source-` with the options in the build log shows what is listed',
    })
  }
  const show = await queryStep('apt-cache', [...apt, 'show', '--no-all-versions', packageName])
  const packageVersion = /^Version: (\S+)$/m.exec(show)?.[1]
  if (!packageVersion) throw new KernelBuildError('no-source', `apt-cache show ${packageName} gave no version`)
  const sources = join(cacheDir, 'sources')
  const dir = join(sources, `${packageName}_${packageVersion}`)
  if (await isDirectory(dir)) return { packageName, packageVersion, dir }

  onLine?.(`page-budget: downloading ${packageName} ${packageVersion}`)
  await mkdir(sources, { recursive: true })
  const work = await mkdtemp(join(sources, '.unpack-'))
  try {
    await streamStep('apt-get', [...apt, 'download', `${packageName}=${packageVersion}`], { cwd: work, onLine })
    const deb = (await readdir(work)).find((name) => name.endsWith('.deb'))
    if (!deb) throw new KernelBuildError('no-source', `apt-get download ${packageName} left no .deb in ${work}`)
    await streamStep('dpkg-deb', ['-x', deb, 'deb'], { cwd: work, onLine })
    await rm(join(work, deb))
    const tarball = (await readdir(join(work, 'deb/usr/src'))).find((name) => name.endsWith('.tar.xz'))
    if (!tarball) throw new KernelBuildError('no-source', `${deb} holds no usr/src/*.tar.xz`)
    onLine?.(`page-budget: unpacking ${tarball}`)
    await mkdir(join(work, 'tree'))
    await streamStep('tar', ['-xJf', join(work, 'deb/usr/src', tarball), '-C', join(work, 'tree')], { onLine })
    const [top] = await readdir(join(work, 'tree'))
    if (!top) throw new KernelBuildError('no-source', `${tarball} is empty`)
    await rename(join(work, 'tree', top), dir).catch(async (error: unknown) => {
      // Another process unpacked the same version meanwhile: use theirs.
      if (!(await isDirectory(dir))) throw error
    })
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  return { packageName, packageVersion, dir }
}

/** apt options that confine sources, lists and downloads to `dir`: works as root and as a user. */
async function privateApt(dir: string): Promise<string[]> {
  const parts = join(dir, 'sources.list.d')
  const lists = join(dir, 'lists')
  const cache = join(dir, 'cache')
  await Promise.all([parts, join(lists, 'partial'), join(cache, 'archives', 'partial')].map((path) => mkdir(path, { recursive: true })))
  await writeFile(join(parts, 'sid.sources'), SID_SOURCES)
  const options = [
    `Dir::Etc::SourceParts=${parts}`,
    'Dir::Etc::SourceList=/dev/null',
    `Dir::State::Lists=${lists}`,
    `Dir::Cache=${cache}`,
    // As root apt downloads as the _apt user, who cannot write into a private cache dir.
    ...(process.getuid?.() === 0 ? ['APT::Sandbox::User=root'] : []),
  ]
  return options.flatMap((option) => ['-o', option])
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((info) => info.isDirectory(), () => false)
}
