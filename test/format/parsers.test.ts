import { describe, expect, it } from 'vitest'
import { ParseError } from '../../src/errors.js'
import { parseCountThreshold } from '../../src/format/count-threshold.js'
import { detectFormat } from '../../src/format/detect.js'
import { pageOwnerRecords, readPageOwner } from '../../src/format/page-owner.js'
import { parseShowHandles } from '../../src/format/show-handles.js'
import { parseShowStacks, parseShowStacksHandles, readShowStacksText } from '../../src/format/stacks.js'
import { readSwapPageOwner } from '../../src/format/swap-page-owner.js'
import type { PageOwnerRecord, SwapPageOwnerRecord } from '../../src/format/types.js'

async function message(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(error instanceof ParseError)) throw new Error(`expected a ParseError, got ${String(error)}`)
  return error.message
}

async function pageOwner(text: string): Promise<PageOwnerRecord[]> {
  const records: PageOwnerRecord[] = []
  await readPageOwner([text], 'f', (record) => records.push(record))
  return records
}

const PFN_LINE = 'PFN 0xccf9 type Movable Block 102 type Movable Flags 0x2003c(referenced|uptodate|node=0|zone=1)'
const FRAMES = ' get_page_from_freelist+0x697/0x729\n vfs_write+0x108/0x166\n'

describe('show_handles', () => {
  it('reads handle and page counts; an empty file has no stacks', async () => {
    expect(await parseShowHandles(['handle: 7\nnr_base_pages: 3\n\nhandle: 9\nnr_base_pages: 0\n\n'], 'f')).toEqual(
      new Map([
        [7, 3],
        [9, 0],
      ]),
    )
    expect(await parseShowHandles([], 'f')).toEqual(new Map())
    expect(await parseShowHandles([''], 'f')).toEqual(new Map())
  })

  it('accepts a last record without its blank line, and CRLF', async () => {
    expect(await parseShowHandles(['handle: 7\r\nnr_base_pages: 3\r\n'], 'f')).toEqual(new Map([[7, 3]]))
  })

  it.each([
    ['a handle with no page count', 'handle: 7\n', 'f:1: handle 7 has no nr_base_pages line'],
    ['a page count cut short', 'handle: 7\nnr_base_pages: 65', 'f:2: the last line has no line break'],
    ['a negative count', 'handle: 7\nnr_base_pages: -1\n\n', 'f:2: page count should be a non-negative decimal integer, not "-1"'],
    ['an overflow', 'handle: 7\nnr_base_pages: 99999999999999999999\n\n', 'f:2: page count is too large'],
    ['a missing value', 'handle: 7\nnr_base_pages: \n\n', 'f:2: page count should be a non-negative decimal integer, not ""'],
    ['a missing blank line', 'handle: 7\nnr_base_pages: 1\nhandle: 8\nnr_base_pages: 1\n\n', 'f:3: expected a blank line after nr_base_pages'],
    ['a repeated handle', 'handle: 7\nnr_base_pages: 1\n\nhandle: 7\nnr_base_pages: 2\n\n', 'f:4: handle 7 is listed twice'],
    ['a stray line', 'hello\n', 'f:1: expected "handle: N" (stack handle)'],
  ])('rejects %s', async (_name, text, start) => {
    expect(await message(parseShowHandles([text], 'f'))).toContain(start)
  })

  it('says which file and line, and quotes it', async () => {
    expect(await message(parseShowHandles(['handle: 7\nnr_base_pages: 12x\n\n'], 'after.show_handles'))).toMatchInlineSnapshot(`
      "after.show_handles:2: page count should be a non-negative decimal integer, not "12x"
        | nr_base_pages: 12x
        hint: the file is truncated, garbled or not the file it claims to be; read it again from the kernel"
    `)
    expect(await message(parseShowHandles(['handle: 7\n'], 'show_handles'))).toMatchInlineSnapshot(`
      "show_handles:1: handle 7 has no nr_base_pages line
        | handle: 7
        hint: the file is truncated, garbled or not the file it claims to be; read it again from the kernel"
    `)
  })
})

describe('show_stacks and show_stacks_handles', () => {
  const stacks = `${FRAMES}nr_base_pages: 5\n\nshmem_alloc_folio+0x97/0xb0\nnr_base_pages: 2\n\n`

  it('parses frames (indented or not) and keeps the text callers hash', async () => {
    const parsed = await parseShowStacks([stacks], 'f')
    expect(parsed.map((stack) => [stack.frames.map((frame) => frame.fn), stack.pages, stack.text])).toEqual([
      [['get_page_from_freelist', 'vfs_write'], 5, 'get_page_from_freelist+0x697/0x729\nvfs_write+0x108/0x166'],
      [['shmem_alloc_folio'], 2, 'shmem_alloc_folio+0x97/0xb0'],
    ])
    expect(await readShowStacksText([stacks], 'f')).toEqual(parsed.map(({ text, pages }) => ({ text, pages })))
  })

  it('maps handles to frames', async () => {
    const parsed = await parseShowStacksHandles([`${FRAMES}handle: 42\n\n`], 'f')
    expect([...parsed.keys()]).toEqual([42])
    expect(parsed.get(42)?.map((frame) => frame.fn)).toEqual(['get_page_from_freelist', 'vfs_write'])
  })

  it('rejects a stack cut before its count, and a frame that is not one', async () => {
    expect(await message(parseShowStacks([FRAMES], 'show_stacks'))).toMatchInlineSnapshot(`
      "show_stacks:2: expected "nr_base_pages: N" (page count)
        |  vfs_write+0x108/0x166
        hint: the file is truncated, garbled or not the file it claims to be; read it again from the kernel"
    `)
    expect(await message(readShowStacksText([`${FRAMES}nr_base_pages: 1\n handle: 3\n\n`], 'f'))).toContain(
      'f:4: expected a blank line after "nr_base_pages: 1"',
    )
    expect(await message(parseShowStacksHandles([' vfs_write+0x108\nhandle: 1\n\n'], 'f'))).toContain('f:1: not a stack frame')
    expect(await message(parseShowStacksHandles([`${FRAMES}handle: 1\n${FRAMES}handle: 2\n\n`], 'f'))).toContain(
      'f:4: expected a blank line after "handle: 1"',
    )
  })
})

describe('count_threshold', () => {
  it.each([
    ['0', 0],
    ['0\n', 0],
    ['  17 \n\n', 17],
    ['\n42\r\n', 42],
  ])('%j is %d', async (text, value) => {
    expect(await parseCountThreshold([text], 'count_threshold')).toBe(value)
  })

  it.each([
    ['', 'count_threshold:1: expected a number, found none'],
    ['-1\n', 'count_threshold:1: count_threshold should be a non-negative decimal integer'],
    ['1e3\n', 'count_threshold:1: count_threshold should be a non-negative decimal integer'],
    ['18446744073709551616\n', 'count_threshold:1: count_threshold is too large'],
    ['1\n2\n', 'count_threshold:2: expected one number, found a second line'],
  ])('rejects %j', async (text, start) => {
    expect(await message(parseCountThreshold([text], 'count_threshold'))).toContain(start)
  })
})

describe('page_owner', () => {
  it('reads a record with memcg, marks, a module frame and an unknown line', async () => {
    const text = [
      'Page allocated via order 1, mask 0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), pid 228, tgid 227 (dd), ts 8716052197 ns (swapped)',
      PFN_LINE,
      ' xfs_file_read_iter+0x1f0/0x380 [xfs]',
      ' 0xffffffff81234567',
      'Page has been migrated, last migrate reason: compaction',
      'Charged (via objcg) to offline memcg /system.slice/a b.service',
      '',
      '',
    ].join('\n')
    expect(await pageOwner(text)).toEqual([
      {
        order: 1,
        mask: 0x140cca,
        gfp: ['GFP_HIGHUSER_MOVABLE', '__GFP_COMP'],
        pid: 228,
        tgid: 227,
        comm: 'dd',
        ts: 8716052197,
        marks: ['swapped'],
        pfn: 0xccf9,
        migrateType: 'Movable',
        block: 102,
        blockType: 'Movable',
        flags: 0x2003c,
        flagNames: ['referenced', 'uptodate', 'node=0', 'zone=1'],
        frames: [
          { fn: 'xfs_file_read_iter', offset: 0x1f0, size: 0x380, module: 'xfs', raw: 'xfs_file_read_iter+0x1f0/0x380 [xfs]' },
          { fn: '0xffffffff81234567', offset: 0, size: 0, raw: '0xffffffff81234567' },
        ],
        memcg: '/system.slice/a b.service',
        extra: ['Page has been migrated, last migrate reason: compaction'],
      },
    ])
  })

  const headed = (owner: string): string => `Page allocated via order 0, mask 0x0(), ${owner}\n${PFN_LINE}\n${FRAMES}\n`

  it.each([
    ['v6.7 and later', 'pid 5, tgid 4 (kworker/u4:0), ts 9 ns', { pid: 5, tgid: 4, comm: 'kworker/u4:0', ts: 9, marks: [] }],
    ['v5.18 - v6.6', 'pid 5, tgid 4 (cat), ts 9 ns, free_ts 3 ns', { pid: 5, tgid: 4, comm: 'cat', ts: 9, freeTs: 3 }],
    ['865ed6a32786 (comm, no tgid yet)', 'pid 5 (cat), ts 9 ns, free_ts 3 ns', { pid: 5, tgid: 5, comm: 'cat', ts: 9, freeTs: 3 }],
    ['v5.12 - v5.17 (no comm)', 'pid 5, ts 9 ns, free_ts 0 ns', { pid: 5, tgid: 5, comm: '', ts: 9, freeTs: 0 }],
    ['v5.11 (no comm, no free_ts)', 'pid 5, ts 9 ns', { pid: 5, tgid: 5, comm: '', ts: 9 }],
    ['a comm with spaces and parentheses', 'pid 5, tgid 5 (a (b), ts 1 ns) c), ts 9 ns', { comm: 'a (b), ts 1 ns) c', ts: 9 }],
    ['two marks', 'pid 5, tgid 5 (dd), ts 9 ns (swapped) (new)', { marks: ['swapped', 'new'] }],
    // Halfway between two doubles (4 apart up here), so to the even one, ...912, not ...916.
    ['a ts past 2^53, after 104 days of uptime', 'pid 5, tgid 5 (dd), ts 26048113525818914 ns', { ts: 26048113525818912 }],
  ])('reads the header of %s', async (_name, owner, expected) => {
    const [record] = await pageOwner(headed(owner))
    expect(record).toMatchObject(expected)
    if (!('freeTs' in expected)) expect(record).not.toHaveProperty('freeTs')
  })

  it.each([
    ['a tgid without a comm', 'pid 5, tgid 4, ts 9 ns'],
    ['a comm without tgid or free_ts', 'pid 5 (cat), ts 9 ns'],
    ['marks after free_ts', 'pid 5, tgid 5 (dd), ts 9 ns, free_ts 3 ns (swapped)'],
    ['marks without a comm', 'pid 5, ts 9 ns (swapped)'],
  ])('rejects a header no kernel printed: %s', async (_name, owner) => {
    const problem = await message(pageOwner(headed(owner)))
    expect(problem).toMatch(/^f:1: expected a page_owner record header .*: no kernel printed this mix of tgid, comm, free_ts and marks\n/)
  })

  it('rejects the header of kernels before v5.11, which print no owner', async () => {
    expect(await message(pageOwner(`Page allocated via order 0, mask 0x0()\n${PFN_LINE}\n${FRAMES}\n`))).toContain('f:1: expected a page_owner record header')
  })

  it('reads a decimal PFN and raw 64-bit flags (older kernels)', async () => {
    const text = `Page allocated via order 0, mask 0x0(), pid 1, ts 9 ns, free_ts 0 ns\nPFN 4096 type Movable Block 8 type Movable Flags 0x17ffffc0000014(referenced|dirty)\n${FRAMES}\n`
    expect((await pageOwner(text))[0]).toMatchObject({ pfn: 4096, flags: 0x17ffffc0000014, flagNames: ['referenced', 'dirty'] })
  })

  it('streams records through the generator', async () => {
    const record = `Page allocated via order 0, mask 0x0(), pid 1, tgid 1 (init), ts 9 ns\n${PFN_LINE}\n${FRAMES}\n`
    const comms: string[] = []
    for await (const r of pageOwnerRecords([record, record.replace('init', 'sh')], 'f')) comms.push(r.comm)
    expect(comms).toEqual(['init', 'sh'])
  })

  it.each([
    ['a record cut after a frame', `Page allocated via order 0, mask 0x0(), pid 1, tgid 1 (a), ts 9 ns\n${PFN_LINE}\n${FRAMES}`, 'f:4: the file ends inside the record that starts at line 1'],
    ['a missing PFN line', `Page allocated via order 0, mask 0x0(), pid 1, tgid 1 (a), ts 9 ns\n${FRAMES}\n`, 'f:2: expected the PFN line'],
    ['a missing blank line', `Page allocated via order 0, mask 0x0(), pid 1, tgid 1 (a), ts 9 ns\n${PFN_LINE}\n${FRAMES}Page allocated via order 0, mask 0x0(), pid 1, tgid 1 (a), ts 9 ns\n${PFN_LINE}\n\n`, 'f:5: a record starts here without the blank line'],
    ['a damaged frame', `Page allocated via order 0, mask 0x0(), pid 1, tgid 1 (a), ts 9 ns\n${PFN_LINE}\n vfs_write+0x10\n\n`, 'f:3: not a stack frame'],
    ['an order out of range', `Page allocated via order 40, mask 0x0(), pid 1, tgid 1 (a), ts 9 ns\n${PFN_LINE}\n${FRAMES}\n`, 'f:1: record out of range: order'],
    ['a header cut short', `Page allocated via order 0, mask 0x0(), pid 1, tgid 1 (a), ts 9\n${PFN_LINE}\n${FRAMES}\n`, 'f:1: expected a page_owner record header'],
  ])('rejects %s', async (_name, text, start) => {
    expect(await message(pageOwner(text))).toContain(start)
  })

  it('names the header it cannot read', async () => {
    expect(await message(readPageOwner([`Page allocated via order x, mask 0x0()\n${PFN_LINE}\n\n`], 'page_owner', () => {}))).toMatchInlineSnapshot(`
      "page_owner:1: expected a page_owner record header (Page allocated via order N, mask 0x..(..), pid N, tgid N (comm), ts N ns)
        | Page allocated via order x, mask 0x0()
        hint: the file is truncated, garbled or not the file it claims to be; read it again from the kernel"
    `)
  })
})

describe('swap_page_owner', () => {
  it('reads the RFC format, keeping unknown lines', async () => {
    const records: SwapPageOwnerRecord[] = []
    const text = `Page allocated via pid 231, tgid 231 (dd), ts 13255313898 ns\nSWP entry 0x2e\n${FRAMES}Something new\n\n`
    expect(await readSwapPageOwner([text], 'swap_page_owner', (record) => records.push(record))).toBe(1)
    expect(records).toEqual([
      {
        pid: 231,
        tgid: 231,
        comm: 'dd',
        ts: 13255313898,
        swpEntry: 0x2e,
        frames: [
          { fn: 'get_page_from_freelist', offset: 0x697, size: 0x729, raw: 'get_page_from_freelist+0x697/0x729' },
          { fn: 'vfs_write', offset: 0x108, size: 0x166, raw: 'vfs_write+0x108/0x166' },
        ],
        extra: ['Something new'],
      },
    ])
  })

  it('rejects a record without its swap entry', async () => {
    expect(await message(readSwapPageOwner([`Page allocated via pid 1, tgid 1 (dd), ts 5 ns\n${FRAMES}\n`], 'swap_page_owner', () => {})))
      .toMatchInlineSnapshot(`
        "swap_page_owner:2: expected "SWP entry 0x.." (the swap entry)
          |  get_page_from_freelist+0x697/0x729
          hint: the file is truncated, garbled or not the file it claims to be; read it again from the kernel"
      `)
  })
})

describe('detectFormat', () => {
  it.each([
    [['handle: 1', 'nr_base_pages: 2'], 'show_handles'],
    [[' f+0x1/0x2', ' g+0x1/0x2', 'handle: 1'], 'show_stacks_handles'],
    [['f+0x1/0x2', 'nr_base_pages: 2'], 'show_stacks'],
    [['Page allocated via order 0, mask 0x0(), pid 1, tgid 1 (a), ts 9 ns'], 'page_owner'],
    [['Page allocated via pid 231, tgid 231 (dd), ts 1 ns'], 'swap_page_owner'],
    [['', '0'], 'count_threshold'],
    [[], undefined],
    [['', ''], undefined],
    [[' f+0x1/0x2'], undefined], // not enough lines to tell the two stack files apart
    [['hello'], undefined],
  ])('%j is %s', (lines, format) => {
    expect(detectFormat(lines)).toBe(format)
  })
})
