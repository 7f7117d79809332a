import { mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BuildLog } from '../../src/kernel-build/run.js'
import { seedBuildDir } from '../../src/kernel-build/seed.js'
import { tempDir } from '../helpers.js'

const OLD = new Date('2026-01-01T00:00:00Z')

/** A build directory as kbuild leaves one: records naming the source tree, and objects. */
function builtDir(source: string): string {
  const dir = tempDir()
  mkdirSync(join(dir, 'mm'))
  writeFileSync(join(dir, '.config'), 'CONFIG_PAGE_OWNER=y\n')
  writeFileSync(
    join(dir, 'mm/.page_owner.o.cmd'),
    `savedcmd_mm/page_owner.o := gcc -I${source}/include -fmacro-prefix-map=${source}/= -c -o mm/page_owner.o ${source}/mm/page_owner.c\n` +
      `source_mm/page_owner.o := ${source}/mm/page_owner.c\ndeps_mm/page_owner.o := \\\n  ${source}/include/linux/page_owner.h \\\n`,
  )
  // A sibling tree whose name starts with the source's must not be rewritten.
  writeFileSync(join(dir, 'usr.d'), `usr: ${source}-other/usr/gen_init_cpio.c ${source}\n`)
  writeFileSync(join(dir, 'mm/page_owner.o'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0xff, 0x00, 0xe9]))
  for (const file of ['mm/.page_owner.o.cmd', 'usr.d', 'mm/page_owner.o']) utimesSync(join(dir, file), OLD, OLD)
  return dir
}

describe('seedBuildDir', () => {
  it("copies the base tree's build directory with its records moved to the patched tree, keeping file times", async () => {
    const base = { source: '/cache/sources/linux-source-7.2', objectDir: '' }
    base.objectDir = builtDir(base.source)
    const target = { source: '/cache/sources/patched-linux-source-7.2-1a2b', objectDir: join(tempDir(), 'patched') }
    const log = await BuildLog.open(join(tempDir(), 'log'))
    expect(await seedBuildDir(base, target, log)).toBe(true)
    await log.close()

    const cmd = readFileSync(join(target.objectDir, 'mm/.page_owner.o.cmd'), 'utf8')
    expect(cmd).not.toContain(`${base.source}/`)
    expect(cmd).toContain(`-I${target.source}/include -fmacro-prefix-map=${target.source}/= `)
    expect(cmd).toContain(`source_mm/page_owner.o := ${target.source}/mm/page_owner.c\n`)
    expect(cmd).toContain(`  ${target.source}/include/linux/page_owner.h \\\n`)
    expect(readFileSync(join(target.objectDir, 'usr.d'), 'utf8')).toBe(`usr: ${base.source}-other/usr/gen_init_cpio.c ${target.source}\n`)
    expect(readFileSync(join(target.objectDir, 'mm/page_owner.o'))).toEqual(readFileSync(join(base.objectDir, 'mm/page_owner.o')))
    // make compares times: a record or object that looked new would rebuild what depends on it.
    for (const file of ['mm/.page_owner.o.cmd', 'usr.d', 'mm/page_owner.o']) expect(statSync(join(target.objectDir, file)).mtime).toEqual(OLD)
    // The base is left as it was.
    expect(readFileSync(join(base.objectDir, 'mm/.page_owner.o.cmd'), 'utf8')).toContain(`${base.source}/mm/page_owner.c`)
  })

  it('does nothing when the base was never built, or the patched tree has a build directory already', async () => {
    const log = await BuildLog.open(join(tempDir(), 'log'))
    const target = { source: '/patched', objectDir: join(tempDir(), 'patched') }
    expect(await seedBuildDir({ source: '/base', objectDir: join(tempDir(), 'never-built') }, target, log)).toBe(false)
    const existing = { source: '/patched', objectDir: builtDir('/patched') }
    expect(await seedBuildDir({ source: '/base', objectDir: builtDir('/base') }, existing, log)).toBe(false)
    expect(readFileSync(join(existing.objectDir, 'mm/.page_owner.o.cmd'), 'utf8')).toContain('/patched/mm/page_owner.c')
    await log.close()
  })
})
