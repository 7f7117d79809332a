import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { main } from '../../src/cli/main.js'
import { tempDir } from '../helpers.js'

/** Runs the CLI, with what `run` writes to stderr (progress, the reason for its exit code) caught. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err.push(String(chunk))
    return true
  })
  try {
    const code = await main(argv, (text) => out.push(text), (text) => err.push(text))
    return { code, out: out.join('\n'), err: err.join('') }
  } finally {
    spy.mockRestore()
  }
}

/** A directory that passes for a kernel tree until make runs in it: its Makefile fails every target. */
function brokenTree(): string {
  const dir = tempDir('page-budget-broken-tree-')
  mkdirSync(join(dir, 'scripts/kconfig'), { recursive: true })
  writeFileSync(join(dir, 'Makefile'), '%:\n\t@echo "this commit does not build" >&2; exit 2\n')
  writeFileSync(join(dir, 'Kconfig'), '')
  writeFileSync(join(dir, 'scripts/kconfig/merge_config.sh'), '#!/bin/sh\nexit 1\n')
  return dir
}

afterEach(() => vi.restoreAllMocks())

describe('page-budget run', () => {
  it('exits 128 on bad arguments, before building anything, so that git bisect run stops', async () => {
    const source = brokenTree()
    for (const argv of [
      ['--source', source, '--at-most', '1 MiB'],
      ['--source', source, '--exec', 'true'],
      ['--source', source, '--exec', 'true', '--at-most', '1 MiB', '--at-least', '1 KiB'],
      ['--source', source, '--exec', 'true', '--at-most', 'lots'],
      ['--source', source, '--exec', 'true', '--at-most', '1 MiB', '--frames', ''],
      ['--source', source, '--exec', 'true', '--at-most', '1 MiB', '--memory', 'big'],
      ['--source', source, '--exec', 'true', '--at-most', '1 MiB', '--bogus'],
      ['--source', source, '--exec', 'true', '--at-most', '1 MiB', 'extra'],
    ]) {
      const { code, err } = await cli('run', ...argv)
      expect(code, argv.join(' ')).toBe(128)
      expect(err).toContain('usage:\npage-budget run [--source DIR')
    }
  })

  it('exits 128 when --source is no kernel tree: the tree is wrong, not the commit', async () => {
    const { code, err } = await cli('run', '--source', tempDir(), '--cache', tempDir(), '--exec', 'true', '--at-most', '1 MiB')
    expect(code).toBe(128)
    expect(err).toContain('is not a kernel source tree')
    expect(err).toContain('exit 128: this is not about the commit (git bisect run stops)')
  })

  it('exits 125 when the commit does not build (git bisect run skips it), with the build error', async () => {
    const { code, err } = await cli('run', '--source', brokenTree(), '--cache', tempDir(), '--exec', 'true', '--at-most', '1 MiB')
    expect(code).toBe(125)
    expect(err).toContain('this commit does not build')
    expect(err).toContain('exit 125: this commit cannot be measured (git bisect run skips it)')
  })
})
