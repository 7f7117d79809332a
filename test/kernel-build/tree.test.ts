import { execFileSync } from 'node:child_process'
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { KernelBuildError } from '../../src/errors.js'
import { readKernelTree } from '../../src/kernel-build/tree.js'
import { rejection, tempDir } from '../helpers.js'

/** The few files that make a directory look like a kernel tree. */
function fakeTree(): string {
  const dir = tempDir()
  mkdirSync(join(dir, 'scripts/kconfig'), { recursive: true })
  for (const file of ['Makefile', 'Kconfig', 'scripts/kconfig/merge_config.sh']) writeFileSync(join(dir, file), `${file}\n`)
  return dir
}

const git = (dir: string, ...args: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { stdio: 'ignore' })

describe('readKernelTree', () => {
  it('names a directory that is no kernel tree', async () => {
    const error = await rejection(readKernelTree(tempDir()))
    expect(error).toBeInstanceOf(KernelBuildError)
    expect(error).toMatchObject({ reason: 'not-a-tree' })
    expect(error.message).toContain('no Makefile, Kconfig, scripts/kconfig/merge_config.sh')
  })

  it('refuses a tree with an in-tree build, saying how to keep its config', async () => {
    const dir = fakeTree()
    writeFileSync(join(dir, '.config'), 'CONFIG_X=y\n')
    const error = await rejection(readKernelTree(dir))
    expect(error).toMatchObject({ reason: 'tree-not-clean' })
    expect(error.message).toContain('make mrproper')
    expect(error.message).toContain('--config ~/my.config')
  })

  it('changes state with a commit, an uncommitted edit and an untracked file, and not otherwise', async () => {
    const dir = fakeTree()
    git(dir, 'init', '-q')
    git(dir, 'add', '-A')
    git(dir, 'commit', '-qm', 'base')
    const base = await readKernelTree(dir)
    expect(base.description).toMatch(/^git [0-9a-f]{12}$/)
    expect((await readKernelTree(dir)).state).toBe(base.state)

    writeFileSync(join(dir, 'Makefile'), 'edited\n')
    const edited = await readKernelTree(dir)
    expect(edited.state).not.toBe(base.state)
    expect(edited.description).toMatch(/\+ uncommitted changes \(state [0-9a-f]{12}\)$/)

    writeFileSync(join(dir, 'new.c'), 'int x;\n')
    const untracked = await readKernelTree(dir)
    expect(untracked.state).not.toBe(edited.state)

    git(dir, 'add', '-A')
    git(dir, 'commit', '-qm', 'patch')
    const committed = await readKernelTree(dir)
    expect(committed.description).toMatch(/^git [0-9a-f]{12}$/)
    expect(committed.state).not.toBe(base.state)
  })

  it('falls back to file times without git', async () => {
    const dir = fakeTree()
    const before = await readKernelTree(dir)
    expect(before.description).toBe('no git: file times')
    writeFileSync(join(dir, 'Kconfig'), 'changed, and longer\n')
    expect((await readKernelTree(dir)).state).not.toBe(before.state)
  })

  it("takes a tree inside another repository for one without git, not that repository's HEAD", async () => {
    const outer = tempDir()
    git(outer, 'init', '-q')
    writeFileSync(join(outer, 'README'), 'a project\n')
    git(outer, 'add', '-A')
    git(outer, 'commit', '-qm', 'project')
    const dir = join(outer, 'sources', 'linux')
    mkdirSync(join(outer, 'sources'))
    renameSync(fakeTree(), dir)
    const before = await readKernelTree(dir)
    expect(before.description).toBe('no git: file times')
    // A commit of the outer project is not a change of the kernel tree.
    writeFileSync(join(outer, 'README'), 'a project, changed\n')
    git(outer, 'commit', '-qam', 'change')
    expect((await readKernelTree(dir)).state).toBe(before.state)
  })
})
