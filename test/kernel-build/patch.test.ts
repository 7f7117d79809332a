import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { KernelBuildError } from '../../src/errors.js'
import { patchedTree } from '../../src/kernel-build/patch.js'
import { BuildLog } from '../../src/kernel-build/run.js'
import { rejection, tempDir } from '../helpers.js'

const PATCH = `--- a/mm/page_owner.c
+++ b/mm/page_owner.c
@@ -1 +1 @@
-int owner;
+int owner, swapped;
`

function tree(): string {
  const dir = tempDir()
  mkdirSync(join(dir, 'mm'))
  writeFileSync(join(dir, 'mm/page_owner.c'), 'int owner;\n')
  writeFileSync(join(dir, 'Makefile'), 'all:\n')
  return dir
}

describe('patchedTree', () => {
  it('patches a linked copy under the cache, leaves the tree alone, and reuses the copy', async () => {
    const source = tree()
    const cache = tempDir()
    const patch = join(tempDir(), 'swap.patch')
    writeFileSync(patch, PATCH)
    const log = await BuildLog.open(join(cache, 'log'))
    const dir = await patchedTree(source, [patch], cache, log)
    expect(readFileSync(join(dir, 'mm/page_owner.c'), 'utf8')).toBe('int owner, swapped;\n')
    expect(readFileSync(join(dir, 'Makefile'), 'utf8')).toBe('all:\n')
    expect(readFileSync(join(source, 'mm/page_owner.c'), 'utf8')).toBe('int owner;\n')
    expect(await patchedTree(source, [patch], cache, log)).toBe(dir)
    await log.close()
  })

  it('names a patch that does not apply, with the way out', async () => {
    const source = tree()
    writeFileSync(join(source, 'mm/page_owner.c'), 'int something_else;\n')
    const patch = join(tempDir(), 'swap.patch')
    writeFileSync(patch, PATCH)
    const cache = tempDir()
    const log = await BuildLog.open(join(cache, 'log'))
    const error = await rejection(patchedTree(source, [patch], cache, log))
    await log.close()
    expect(error).toBeInstanceOf(KernelBuildError)
    expect(error).toMatchObject({ reason: 'patch-failed' })
    expect(error.message).toContain(`${patch} does not apply to ${source}`)
    expect(error.message).toContain('pick a source it applies to')
  })
})
