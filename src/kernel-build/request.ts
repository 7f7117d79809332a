import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { KernelBuildError } from '../errors.js'
import type { SourceVersion } from './apt.js'

/** recipe/page-budget.config ships with the package; src/kernel-build and dist/kernel-build are both two levels down. */
export const RECIPE_PATH = fileURLToPath(new URL('../../recipe/page-budget.config', import.meta.url))

/**
 * recipe/before-X.Y.config: what trees older than X.Y need on top of the recipe for the same
 * features (a dependency a later kernel dropped). Every one is part of the cache key; the build
 * merges those its tree is older than (config.ts).
 */
export function recipeBeforeFiles(): { path: string; before: readonly [number, number] }[] {
  return readdirSync(dirname(RECIPE_PATH))
    .flatMap((name) => {
      const match = /^before-(\d+)\.(\d+)\.config$/.exec(name)
      return match ? [{ path: join(dirname(RECIPE_PATH), name), before: [Number(match[1]), Number(match[2])] as const }] : []
    })
    .sort((a, b) => a.before[0] - b.before[0] || a.before[1] - b.before[1])
}

/** What kernel to build: page-budget's recipe on a source, plus the user's own options. */
export interface KernelRequest {
  /** A kernel tree of the user's (built out of tree, never written); default: Debian's linux-source. */
  source?: string
  /** Which Debian linux-source-X.Y when there is no `source` (default `latest`). */
  version?: SourceVersion
  /** Config fragments of the user's, merged after the recipe in order. */
  configs?: readonly string[]
  /** Options to turn on (`CONFIG_FOO`, `FOO`, or `CONFIG_FOO=m`) and off, merged last. */
  enable?: readonly string[]
  disable?: readonly string[]
  /** Patches applied (to a linked copy of the source, never the source itself) before building. */
  patches?: readonly string[]
  /**
   * page-budget's own swap_page_owner patches (recipe/swap-page-owner/) and their config: a
   * kernel that keeps page owners across swap, booted with `page_owner=on,swap`.
   */
  swapPageOwner?: boolean
}

/** recipe/swap-page-owner/: the patch series, its config fragment, and the kernel lines it applies to. */
export const SWAP_PAGE_OWNER_DIR = fileURLToPath(new URL('../../recipe/swap-page-owner/', import.meta.url))

/** The swap_page_owner patches in the order to apply them (the series file lists them). */
export function swapPageOwnerPatches(): string[] {
  return readLines(join(SWAP_PAGE_OWNER_DIR, 'series')).map((name) => join(SWAP_PAGE_OWNER_DIR, name))
}

/** The Debian kernel lines the swap_page_owner patches apply to, newest first. */
export function swapPageOwnerVersions(): SourceVersion[] {
  return readLines(join(SWAP_PAGE_OWNER_DIR, 'versions')) as SourceVersion[]
}

/**
 * The Debian line to build: the one asked for, or `latest`; with the swap_page_owner patches,
 * one they apply to (the newest, when none is asked for), else a named error.
 */
export function sourceVersionOf(request: KernelRequest): SourceVersion {
  if (!request.swapPageOwner || request.source !== undefined) return request.version ?? 'latest'
  const supported = swapPageOwnerVersions()
  const version = request.version ?? supported[0]!
  if (!supported.includes(version)) {
    throw new KernelBuildError('bad-option', `the swap_page_owner patches do not apply to linux-source-${version}`, {
      hint: `they apply to ${supported.map((v) => `--version ${v}`).join(' or ')} (recipe/swap-page-owner/versions)`,
    })
  }
  return version
}

/** Every patch a request applies, in order. */
export function requestedPatches(request: KernelRequest): string[] {
  return [...(request.swapPageOwner ? swapPageOwnerPatches() : []), ...(request.patches ?? []).map((path) => resolve(path))]
}

function readLines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').map((line) => line.replace(/#.*/, '').trim()).filter(Boolean)
}

/** A fragment merged onto tinyconfig: where it came from, and its text. */
export interface Fragment {
  name: string
  text: string
  /**
   * page-budget's recipe: one text serves several kernel lines, so an option a tree does not
   * have (zram's LZO backend before 6.12) is skipped there. Any other fragment's must exist.
   */
  recipe?: boolean
  /** Merged only on trees older than this kernel line, `[major, minor]`. */
  before?: readonly [number, number]
}

/**
 * The fragments a request merges onto tinyconfig, in order (a later one wins): the recipe and
 * its before-X.Y files (and the swap_page_owner fragment when asked), the user's files, then
 * --enable/--disable as one fragment of their own.
 */
export function requestedFragments(request: KernelRequest): Fragment[] {
  const fragments: Fragment[] = [
    { name: RECIPE_PATH, text: readFileSync(RECIPE_PATH, 'utf8'), recipe: true },
    ...recipeBeforeFiles().map(({ path, before }) => ({ name: path, text: readFileSync(path, 'utf8'), recipe: true, before })),
  ]
  if (request.swapPageOwner) {
    const path = join(SWAP_PAGE_OWNER_DIR, 'swap-page-owner.config')
    fragments.push({ name: path, text: readFileSync(path, 'utf8') })
  }
  for (const path of request.configs ?? []) {
    let text: string
    try {
      text = readFileSync(resolve(path), 'utf8')
    } catch (cause) {
      throw new KernelBuildError('bad-option', `cannot read the config fragment ${path}`, { hint: 'pass --config a file of CONFIG_X=y lines (a whole .config works too)', cause })
    }
    fragments.push({ name: resolve(path), text })
  }
  const lines = [...(request.enable ?? []).map((spec) => optionLine(spec, 'y')), ...(request.disable ?? []).map((spec) => optionLine(spec, 'n'))]
  if (lines.length > 0) fragments.push({ name: '--enable/--disable', text: `${lines.join('\n')}\n` })
  return fragments
}

/** `CONFIG_FOO=y` from `FOO`, `CONFIG_FOO` or `CONFIG_FOO=m`; `# CONFIG_FOO is not set` to disable. */
export function optionLine(spec: string, value: 'y' | 'n'): string {
  const match = /^(?:CONFIG_)?([A-Za-z0-9_]+)(?:=(.+))?$/i.exec(spec.trim())
  if (!match || (value === 'n' && match[2] !== undefined)) {
    throw new KernelBuildError('bad-option', `not a config option: ${JSON.stringify(spec)}`, {
      hint: value === 'y' ? 'write --enable CONFIG_FOO (or FOO, or CONFIG_FOO=m for a value other than y)' : 'write --disable CONFIG_FOO',
    })
  }
  const name = `CONFIG_${match[1]!.toUpperCase()}`
  return value === 'n' ? `# ${name} is not set` : `${name}=${match[2] ?? 'y'}`
}

/**
 * The cache key of a build: what the source is (a tree's state, or which Debian line), every
 * patch and fragment's text, and the compiler. A changed tree, patch, option or compiler builds
 * anew; the same ones reuse the kernel, without touching the network.
 */
export function requestKey(source: string, fragments: readonly Fragment[], compiler: string, patches: readonly string[] = []): string {
  const hash = createHash('sha256').update(`${source}\0${compiler}\0`)
  for (const patch of patches) hash.update(readFileSync(patch)).update('\0')
  for (const fragment of fragments) hash.update(`${fragment.text}\0`)
  return hash.digest('hex').slice(0, 16)
}
