import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { KernelBuildError, UsageError } from '../errors.js'
import { queryStep, type Step } from './run.js'

/** `latest` picks from v6.19 on: show_handles, the cheapest per-sample read, came with it. */
const LATEST_MINIMUM = [6, 19] as const

/**
 * Debian's suites in a list of our own: sid has the newest kernel, trixie and bookworm (with
 * their security updates) the 6.12 and 6.1 lines. The machine's own suites may have none of
 * these, and a private Dir::Etc::SourceParts / Dir::State::Lists pair never touches the
 * system's apt state. Binary packages only: linux-source-X.Y carries the whole tarball, so
 * deb-src is not needed.
 */
const DEBIAN_SOURCES = `Types: deb
URIs: http://deb.debian.org/debian
Suites: sid trixie bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://security.debian.org/debian-security
Suites: trixie-security bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`

/** `latest`, or a kernel line such as `6.12`: which Debian linux-source-X.Y to build. */
export type SourceVersion = 'latest' | `${number}.${number}`

export function parseSourceVersion(text: string): SourceVersion {
  if (text === 'latest' || /^\d+\.\d+$/.test(text)) return text as SourceVersion
  throw new UsageError(`--version ${text}: expected a kernel line such as 6.12, or latest`, {
    hint: 'Debian packages one linux-source-X.Y per line: bookworm has 6.1, trixie 6.12, sid the newest',
  })
}

export interface KernelSource {
  /** Debian package, such as linux-source-7.2. */
  packageName: string
  /** Debian package version, such as 7.2.13-1. */
  packageVersion: string
  /** The unpacked tree, kept for later builds (and tools/mm/page_owner_sort). */
  dir: string
}

/**
 * The `linux-source-X.Y` package for `version` among package names (apt-cache pkgnames output):
 * that line, or for `latest` the newest at or above 6.19.
 */
export function sourcePackageFor(pkgnames: string, version: SourceVersion): string | undefined {
  const candidates = pkgnames
    .split('\n')
    .map((name) => ({ name: name.trim(), match: /^linux-source-(\d+)\.(\d+)$/.exec(name.trim()) }))
    .flatMap(({ name, match }) => (match ? [{ name, major: Number(match[1]), minor: Number(match[2]) }] : []))
    .filter(({ name, major, minor }) =>
      version === 'latest' ? major > LATEST_MINIMUM[0] || (major === LATEST_MINIMUM[0] && minor >= LATEST_MINIMUM[1]) : name === `linux-source-${version}`,
    )
    .sort((a, b) => b.major - a.major || b.minor - a.minor)
  return candidates[0]?.name
}

/**
 * Finds Debian's kernel source for `version` in whichever suite has it (the highest package
 * version across suites: apt's candidate), downloads and unpacks it once per package version.
 */
export async function fetchKernelSource(cacheDir: string, version: SourceVersion, step: Step): Promise<KernelSource> {
  const apt = await privateApt(join(cacheDir, 'apt'))
  await step('apt-get', [...apt, 'update'])
  const listed = await queryStep('apt-cache', [...apt, 'pkgnames', 'linux-source-'])
  const packageName = sourcePackageFor(listed, version)
  if (!packageName) {
    const lines = listed.split('\n').filter((name) => /^linux-source-\d+\.\d+$/.test(name.trim())).sort()
    throw new KernelBuildError('no-source', `Debian lists no ${version === 'latest' ? `linux-source-X.Y at or above ${LATEST_MINIMUM.join('.')}` : `linux-source-${version}`}`, {
      hint: `Debian (sid, trixie, bookworm and their security updates) has ${lines.join(', ') || 'none: check that deb.debian.org is reachable'}`,
    })
  }
  const show = await queryStep('apt-cache', [...apt, 'show', '--no-all-versions', packageName])
  const packageVersion = /^Version: (\S+)$/m.exec(show)?.[1]
  if (!packageVersion) throw new KernelBuildError('no-source', `apt-cache show ${packageName} gave no version`)
  const sources = join(cacheDir, 'sources')
  const dir = join(sources, `${packageName}_${packageVersion}`)
  if (await isDirectory(dir)) return { packageName, packageVersion, dir }

    await mkdir(sources, { recursive: true })
  const work = await mkdtemp(join(sources, '.unpack-'))
  try {
    await step('apt-get', [...apt, 'download', `${packageName}=${packageVersion}`], { cwd: work })
    const deb = (await readdir(work)).find((name) => name.endsWith('.deb'))
    if (!deb) throw new KernelBuildError('no-source', `apt-get download ${packageName} left no .deb in ${work}`)
    await step('dpkg-deb', ['-x', deb, 'deb'], { cwd: work })
    await rm(join(work, deb))
    const tarball = (await readdir(join(work, 'deb/usr/src'))).find((name) => name.endsWith('.tar.xz'))
    if (!tarball) throw new KernelBuildError('no-source', `${deb} holds no usr/src/*.tar.xz`)
    await mkdir(join(work, 'tree'))
    await step('tar', ['-xJf', join(work, 'deb/usr/src', tarball), '-C', join(work, 'tree')])
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
  await rm(join(parts, 'sid.sources'), { force: true })
  await writeFile(join(parts, 'debian.sources'), DEBIAN_SOURCES)
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
