import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { prepareBuildDir, rememberBuilt } from '../../src/kernel-build/build-dir.js'
import type { Fragment } from '../../src/kernel-build/request.js'
import { BuildLog } from '../../src/kernel-build/run.js'
import { tempDir } from '../helpers.js'

const OLD = new Date('2026-01-01T00:00:00Z')
const RECIPE: Fragment[] = [{ name: 'recipe', text: 'CONFIG_PAGE_OWNER=y\n' }]
const WITHOUT: Fragment[] = [...RECIPE, { name: '--enable/--disable', text: '# CONFIG_PAGE_OWNER is not set\n' }]

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
  // objtool's build (tools/) names its objects by the build directory's own path.
  mkdirSync(join(dir, 'tools/objtool'), { recursive: true })
  writeFileSync(join(dir, 'tools/objtool/.check.o.cmd'), `cmd_${dir}/tools/objtool/check.o := gcc -I${source}/tools/include -o ${dir}/tools/objtool/check.o ${source}/tools/objtool/check.c\n`)
  // A sibling tree whose name starts with the source's must not be rewritten.
  writeFileSync(join(dir, 'usr.d'), `usr: ${source}-other/usr/gen_init_cpio.c ${source}\n`)
  writeFileSync(join(dir, 'mm/page_owner.o'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0xff, 0x00, 0xe9]))
  for (const file of ['mm/.page_owner.o.cmd', 'usr.d', 'mm/page_owner.o']) utimesSync(join(dir, file), OLD, OLD)
  return dir
}

async function withLog<T>(body: (log: BuildLog) => Promise<T>): Promise<T> {
  const log = await BuildLog.open(join(tempDir(), 'log'))
  try {
    return await body(log)
  } finally {
    await log.close()
  }
}

describe('prepareBuildDir', () => {
  it('gives each configuration of a tree its own directory, and the same one again', async () => {
    const cache = tempDir()
    const [recipe, without] = await withLog((log) => Promise.all([prepareBuildDir(cache, '/src/linux', RECIPE, log), prepareBuildDir(cache, '/src/linux', WITHOUT, log)]))
    expect(recipe).not.toBe(without)
    expect(await withLog((log) => prepareBuildDir(cache, '/src/linux', RECIPE, log))).toBe(recipe)
    expect(await withLog((log) => prepareBuildDir(cache, '/src/other', RECIPE, log))).not.toBe(recipe)
    // Nothing was ever built: nothing to start from.
    expect(existsSync(recipe)).toBe(false)
  })

  it("starts a tree's new configuration from a copy of the directory it was first built in", async () => {
    const cache = tempDir()
    const source = '/cache/sources/linux-source-7.2'
    const built = builtDir(source)
    await rememberBuilt(cache, source, built)
    const fresh = await withLog((log) => prepareBuildDir(cache, source, WITHOUT, log))
    expect(fresh).not.toBe(built)
    expect(readFileSync(join(fresh, 'mm/.page_owner.o.cmd'), 'utf8')).toBe(readFileSync(join(built, 'mm/.page_owner.o.cmd'), 'utf8'))
    // objtool's records follow the directory: a command that named the old one would relink objtool, and every object after it.
    expect(readFileSync(join(fresh, 'tools/objtool/.check.o.cmd'), 'utf8')).toBe(`cmd_${fresh}/tools/objtool/check.o := gcc -I${source}/tools/include -o ${fresh}/tools/objtool/check.o ${source}/tools/objtool/check.c\n`)
    expect(statSync(join(fresh, 'mm/page_owner.o')).mtime).toEqual(OLD)
    // An existing directory is the configuration's own: never replaced by a copy.
    writeFileSync(join(fresh, 'mine'), '')
    expect(await withLog((log) => prepareBuildDir(cache, source, WITHOUT, log))).toBe(fresh)
    expect(existsSync(join(fresh, 'mine'))).toBe(true)
    // A later build of another configuration does not displace the first as the seed.
    await rememberBuilt(cache, source, fresh)
    const third = await withLog((log) => prepareBuildDir(cache, source, [{ name: 'x', text: 'CONFIG_X=y\n' }], log))
    expect(existsSync(join(third, 'mine'))).toBe(false)
    expect(existsSync(join(third, 'mm/page_owner.o'))).toBe(true)
  })

  it("starts a patched copy from its base tree's directory, with kbuild's records moved to the copy and file times kept", async () => {
    const cache = tempDir()
    const base = '/cache/sources/linux-source-7.2'
    const patched = '/cache/sources/patched-linux-source-7.2-1a2b'
    const built = builtDir(base)
    await rememberBuilt(cache, base, built)
    const dir = await withLog((log) => prepareBuildDir(cache, patched, RECIPE, log, base))

    const cmd = readFileSync(join(dir, 'mm/.page_owner.o.cmd'), 'utf8')
    expect(cmd).not.toContain(`${base}/`)
    expect(cmd).toContain(`-I${patched}/include -fmacro-prefix-map=${patched}/= `)
    expect(cmd).toContain(`source_mm/page_owner.o := ${patched}/mm/page_owner.c\n`)
    expect(cmd).toContain(`  ${patched}/include/linux/page_owner.h \\\n`)
    expect(readFileSync(join(dir, 'usr.d'), 'utf8')).toBe(`usr: ${base}-other/usr/gen_init_cpio.c ${patched}\n`)
    expect(readFileSync(join(dir, 'tools/objtool/.check.o.cmd'), 'utf8')).toBe(`cmd_${dir}/tools/objtool/check.o := gcc -I${patched}/tools/include -o ${dir}/tools/objtool/check.o ${patched}/tools/objtool/check.c\n`)
    expect(readFileSync(join(dir, 'mm/page_owner.o'))).toEqual(readFileSync(join(built, 'mm/page_owner.o')))
    // make compares times: a record or object that looked new would rebuild what depends on it.
    for (const file of ['mm/.page_owner.o.cmd', 'usr.d', 'mm/page_owner.o']) expect(statSync(join(dir, file)).mtime).toEqual(OLD)
    // The base is left as it was.
    expect(readFileSync(join(built, 'mm/.page_owner.o.cmd'), 'utf8')).toContain(`${base}/mm/page_owner.c`)
  })
})
