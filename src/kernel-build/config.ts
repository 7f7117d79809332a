import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { KernelBuildError } from '../errors.js'
import { droppedOptions, explainDropped, parseConfig } from './kconfig.js'
import type { Fragment } from './request.js'
import type { Step } from './run.js'

/** What the fragments ask for, taken together: a later fragment's line for an option wins. */
export function requestedOptions(fragments: readonly Fragment[]): Map<string, string> {
  const options = new Map<string, string>()
  for (const fragment of fragments) for (const [name, value] of parseConfig(fragment.text)) options.set(name, value)
  return options
}

/**
 * The fragments a tree of kernel line `line` merges: a before-X.Y one only on an older tree. A
 * tree of no known line merges none: whatever is wrong with its Makefile, make says so when it
 * runs, as the commit's own build failure.
 */
export function fragmentsFor(fragments: readonly Fragment[], line: readonly [number, number] | undefined): Fragment[] {
  return fragments.filter(({ before }) => !before || (line !== undefined && (line[0] < before[0] || (line[0] === before[0] && line[1] < before[1]))))
}

/** A tree's kernel line, from the VERSION and PATCHLEVEL lines at the top of its Makefile; undefined without them. */
export async function treeLine(sourceDir: string): Promise<[number, number] | undefined> {
  const makefile = await readFile(join(sourceDir, 'Makefile'), 'utf8').catch(() => '')
  const version = /^VERSION = (\d+)$/m.exec(makefile)?.[1]
  const patchlevel = /^PATCHLEVEL = (\d+)$/m.exec(makefile)?.[1]
  return version === undefined || patchlevel === undefined ? undefined : [Number(version), Number(patchlevel)]
}

/**
 * tinyconfig, the fragments on top (merge_config.sh, the kernel's own merger), olddefconfig,
 * then the check that every requested option survived: a dropped one is named with the
 * dependency that dropped it. `fragments` are those this tree merges (fragmentsFor).
 */
export async function configureKernel(sourceDir: string, objectDir: string, fragments: readonly Fragment[], step: Step, note?: (line: string) => void): Promise<string> {
  await step('make', [`O=${objectDir}`, 'tinyconfig'], { cwd: sourceDir })
  const dir = join(objectDir, 'page-budget-fragments')
  await mkdir(dir, { recursive: true })
  const paths = await Promise.all(fragments.map(async (fragment, i) => {
    const path = join(dir, `${i}.config`)
    await writeFile(path, fragment.text)
    return path
  }))
  const config = join(objectDir, '.config')
  await step('scripts/kconfig/merge_config.sh', ['-m', '-O', objectDir, config, ...paths], { cwd: sourceDir })
  await step('make', [`O=${objectDir}`, 'olddefconfig'], { cwd: sourceDir })
  const final = await readFile(config, 'utf8')
  const requested = requestedOptions(fragments)
  const dropped = droppedOptions(requested, final)
  if (dropped.length === 0) return final
  const explained = await explainDropped(sourceDir, dropped, final)
  // The recipe serves several kernel lines: an option an older tree does not have (zram's
  // LZO backend before 6.12) is not an error there. Anything the user asked for is.
  const user = requestedOptions(fragments.filter((fragment) => !fragment.recipe))
  const unknownToTree = explained.filter((option) => !option.defined && !user.has(option.name))
  for (const option of unknownToTree) note?.(`this tree has no ${option.name}: the recipe's line for it is skipped`)
  const failed = explained.filter((option) => !unknownToTree.includes(option))
  if (failed.length > 0) {
    const lines = failed.map((option) => option.text)
    throw new KernelBuildError('config-dropped', `make olddefconfig dropped ${failed.length === 1 ? 'an option' : 'options'} the build asked for:\n  ${lines.join('\n  ')}`, {
      hint: `turn on what each depends on (--enable CONFIG_DEP, or a line in your --config fragment); the fragments merged were ${fragments.map((f) => f.name).join(', ')}`,
    })
  }
  return final
}
