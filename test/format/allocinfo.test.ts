import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { openFile } from '../../src/format/file.js'
import { ParseError } from '../../src/errors.js'
import { parseAllocInfo, siteKey } from '../../src/format/allocinfo.js'
import { detectFormat } from '../../src/format/detect.js'

const HEADER = 'allocinfo - version: 2.0\n#     <size>  <calls> <tag info>\n'

async function message(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  if (!(error instanceof ParseError)) throw new Error(`expected a ParseError, got ${String(error)}`)
  return error.message
}

describe('/proc/allocinfo', () => {
  it('reads bytes and calls per call site, modules and accurate:no, in either header version', async () => {
    const text = [
      '           0        0 arch/x86/kernel/setup.c:123 func:setup_arch ',
      '     1234567      123 fs/dcache.c:1690 func:__d_alloc ',
      '1234567890123 123456789 fs/xfs/xfs_buf.c:12 [xfs] func:xfs_buf_alloc accurate:no ',
      '          -4        1 mm/slub.c:9 func:x ',
    ].join('\n')
    for (const version of ['1.0', '2.0']) {
      const info = await parseAllocInfo([`allocinfo - version: ${version}\n#     <size>  <calls> <tag info>\n${text}\n`], 'f')
      expect(info.version).toBe(version)
      expect([...info.sites.values()]).toEqual([
        { key: 'arch/x86/kernel/setup.c:123 func:setup_arch', site: { file: 'arch/x86/kernel/setup.c', line: 123, fn: 'setup_arch' }, bytes: 0, calls: 0, accurate: true },
        { key: 'fs/dcache.c:1690 func:__d_alloc', site: { file: 'fs/dcache.c', line: 1690, fn: '__d_alloc' }, bytes: 1234567, calls: 123, accurate: true },
        {
          key: 'fs/xfs/xfs_buf.c:12 [xfs] func:xfs_buf_alloc',
          site: { file: 'fs/xfs/xfs_buf.c', line: 12, module: 'xfs', fn: 'xfs_buf_alloc' },
          bytes: 1234567890123,
          calls: 123456789,
          accurate: false,
        },
        { key: 'mm/slub.c:9 func:x', site: { file: 'mm/slub.c', line: 9, fn: 'x' }, bytes: -4, calls: 1, accurate: true },
      ])
      for (const count of info.sites.values()) expect(siteKey(count.site)).toBe(count.key)
    }
  })

  it('sums two tags on one line of source (two allocator calls there have the same tag text)', async () => {
    const info = await parseAllocInfo([`${HEADER}          64        1 a.c:1 func:f \n         128        2 a.c:1 func:f accurate:no \n`], 'f')
    expect([...info.sites.values()]).toEqual([{ key: 'a.c:1 func:f', site: { file: 'a.c', line: 1, fn: 'f' }, bytes: 192, calls: 3, accurate: false }])
  })

  it.each([
    ['empty input', '', 'f:1: empty: no allocinfo header'],
    ['another file', 'handle: 7\nnr_base_pages: 3\n', 'f:1: expected "allocinfo - version: 1.0" or "2.0": not /proc/allocinfo'],
    ['an unknown version', 'allocinfo - version: 3.0\n', 'f:1: allocinfo version 3.0 is not one this parser reads'],
    ['a missing column line', 'allocinfo - version: 2.0\n           0        0 a.c:1 func:f \n', 'f:2: expected the column line'],
    ['a header alone', HEADER, 'f:2: no call sites after the header'],
    ['a line cut short', `${HEADER}          64        1 a.c:1 func:f `, 'f:3: the last line has no line break'],
    ['a line cut after its function', `${HEADER}          64        1 a.c:1 func:f\n`, 'f:3: a site line ends with a space'],
    ['a size not aligned', `${HEADER}  64        1 a.c:1 func:f \n`, 'f:3: size in bytes is not right-aligned in 12 columns'],
    ['calls not aligned', `${HEADER}          64 1 a.c:1 func:f \n`, 'f:3: number of calls is not right-aligned in 8 columns'],
    ['a negative count of calls', `${HEADER}          64       -1 a.c:1 func:f \n`, 'f:3: number of calls should be a decimal integer, not "-1"'],
    ['a leading zero', `${HEADER}         064        1 a.c:1 func:f \n`, 'f:3: size in bytes should be a decimal integer, not "064"'],
    ['no function', `${HEADER}          64        1 a.c:1 \n`, 'f:3: expected "func:NAME"'],
    ['no line number', `${HEADER}          64        1 a.c func:f \n`, 'f:3: expected the call site as "file:line"'],
    ['an empty module', `${HEADER}          64        1 a.c:1 [] func:f \n`, 'f:3: not a module name'],
    ['two files run together', `${HEADER}          64        1 a.c:1 func:f \n${HEADER}`, 'f:4: a second allocinfo header'],
  ])('rejects %s', async (_name, text, start) => {
    expect(await message(parseAllocInfo([text], 'f'))).toContain(start)
  })

  it('says which file and line, and quotes it', async () => {
    expect(await message(parseAllocInfo([`${HEADER}          64       1x a.c:1 func:f \n`], '/proc/allocinfo'))).toMatchInlineSnapshot(`
      "/proc/allocinfo:3: number of calls should be a decimal integer, not "1x"
        |           64       1x a.c:1 func:f 
        hint: the file is truncated, garbled or not the file it claims to be; read it again from the kernel"
    `)
  })

  it('reads the real capture: every line a site, repeats summed, accurate:no kept', async () => {
    const path = new URL('../fixtures/linux-7.2.13-qemu-allocinfo/files.allocinfo', import.meta.url).pathname
    const info = await parseAllocInfo(openFile(path), path)
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n').slice(2)
    // Inline functions in headers are tagged once per file that uses them: the same text twice.
    expect(lines.filter((line) => line.includes(' include/linux/vmalloc.h:189 func:vmalloc_huge '))).toHaveLength(2)
    expect(info.sites.size).toBe(lines.length - 2)
    expect([...info.sites.values()].filter((count) => !count.accurate).map((count) => count.key)).toEqual([
      'mm/memory.c:6726 func:__p4d_alloc',
      'mm/vmalloc.c:5473 func:vmap_init_nodes',
      'mm/slub.c:3282 func:alloc_slab_page',
      'mm/slub.c:3280 func:alloc_slab_page',
      'mm/page_ext.c:275 func:alloc_page_ext',
    ])
    expect(info.sites.get('fs/dcache.c:1909 func:__d_alloc')).toMatchObject({ site: { file: 'fs/dcache.c', line: 1909, fn: '__d_alloc' }, accurate: true })
  })

  it('is told apart from the page_owner files by its first line', () => {
    expect(detectFormat(HEADER.split('\n'))).toBe('allocinfo')
  })
})
