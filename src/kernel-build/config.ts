import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { KernelBuildError } from '../errors.js'
import { streamStep } from './run.js'

/** recipe/page-budget.config ships with the package; src/kernel-build and dist/kernel-build are both two levels down. */
export const FRAGMENT_PATH = fileURLToPath(new URL('../../recipe/page-budget.config', import.meta.url))

/** Short hash of the fragment's text: the cache key, so editing the fragment means a new kernel. */
export function fragmentHash(text: string = readFileSync(FRAGMENT_PATH, 'utf8')): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12)
}

/** `CONFIG_X=value` lines and `# CONFIG_X is not set` lines as name -> value ('n' for not set). */
export function parseConfig(text: string): Map<string, string> {
  const options = new Map<string, string>()
  for (const line of text.split('\n')) {
    const set = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line)
    const unset = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line)
    if (set?.[1] !== undefined && set[2] !== undefined) options.set(set[1], set[2])
    else if (unset?.[1] !== undefined) options.set(unset[1], 'n')
  }
  return options
}

/**
 * The fragment's requests that the final .config does not honour, as readable lines. olddefconfig
 * drops an option whose dependencies are off without a word (VIRTIO_PCI without VIRTIO_MENU), so
 * every request is checked.
 */
export function droppedOptions(fragment: string, config: string): string[] {
  const actual = parseConfig(config)
  const dropped: string[] = []
  for (const [name, wanted] of parseConfig(fragment)) {
    const got = actual.get(name) ?? 'n'
    if (got !== wanted) dropped.push(`${name}=${wanted} (got ${got === 'n' ? 'not set' : got})`)
  }
  return dropped
}

/** tinyconfig, the fragment on top, olddefconfig, then the check that nothing was dropped. */
export async function configureKernel(sourceDir: string, objectDir: string, onLine?: (line: string) => void): Promise<void> {
  const make = (...targets: string[]) => streamStep('make', [`O=${objectDir}`, ...targets], { cwd: sourceDir, onLine })
  await make('tinyconfig')
  const config = join(objectDir, '.config')
  await streamStep('scripts/kconfig/merge_config.sh', ['-m', '-O', objectDir, config, FRAGMENT_PATH], { cwd: sourceDir, onLine })
  await make('olddefconfig')
  const dropped = droppedOptions(await readFile(FRAGMENT_PATH, 'utf8'), await readFile(config, 'utf8'))
  if (dropped.length > 0) {
    throw new KernelBuildError('config-dropped', `make olddefconfig dropped options the test kernel needs:\n  ${dropped.join('\n  ')}`, {
      hint: `a dependency of each is off: find it in the option's Kconfig "depends on" and add it to ${FRAGMENT_PATH}`,
    })
  }
}
