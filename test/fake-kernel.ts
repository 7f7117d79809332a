import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CAPTURE, tempDir } from './helpers.js'

/**
 * A debugfs tree made of the recorded capture (step `after`), for exercising the local and
 * command targets' file handling without a page_owner kernel. Not a stand-in for the kernel
 * in any test of what the kernel does: those run in QEMU (test/e2e).
 */
export function fakeDebugfs(options: { threshold?: number } = {}): string {
  const root = tempDir('page-budget-debugfs-')
  const stacks = join(root, 'page_owner_stacks')
  mkdirSync(stacks)
  for (const file of ['show_handles', 'show_stacks_handles', 'show_stacks']) {
    copyFileSync(join(CAPTURE, `after.${file}`), join(stacks, file))
  }
  writeFileSync(join(stacks, 'count_threshold'), `${options.threshold ?? 0}\n`)
  return root
}

/** A replay directory with only the files given (name -> content). */
export function recording(files: Record<string, string>): string {
  const dir = tempDir('page-budget-recording-')
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}
