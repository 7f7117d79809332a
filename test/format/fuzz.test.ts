/**
 * Every parser, fed real input that is cut short, spliced from two files, or damaged, in random
 * chunkings, must either throw a ParseError that names the file and quotes the line it names,
 * or return what the reference reader (oracles.ts) reads in the same text. Cut short at a
 * record boundary it must return the records before the cut; cut anywhere else it must fail.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseCountThreshold } from '../../src/format/count-threshold.js'
import { readPageOwner } from '../../src/format/page-owner.js'
import { parseShowHandles } from '../../src/format/show-handles.js'
import { parseShowStacks, parseShowStacksHandles, readShowStacksText } from '../../src/format/stacks.js'
import { readSwapPageOwner } from '../../src/format/swap-page-owner.js'
import type { ByteSource, PageOwnerRecord, SwapPageOwnerRecord } from '../../src/format/types.js'
import { captureText, chunksAt, chunksOf, encode, expectParseError, fileOf, outcome, pageOwnerText, recordsOf } from './helpers.js'
import { oracles, type Item } from './oracles.js'

const FILE = 'fuzzed'

async function collect<R>(read: (onRecord: (record: R) => void) => Promise<number>, item: (record: R) => Item): Promise<Item[]> {
  const items: Item[] = []
  const count = await read((record) => items.push(item(record)))
  expect(count).toBe(items.length)
  return items
}

/** page_owner records picked to cover the capture: boot-time, kworkers, dd at orders 0-2. */
function pageOwnerSlices(): [string, string] {
  const records = recordsOf(pageOwnerText())
  const dd = records.filter((record) => record.includes('(dd)'))
  const odd = [
    'Page allocated via order 1, mask 0x0(), pid 7, tgid 7 (a (b), ts 1 ns) x), ts 99 ns (swapped)',
    'PFN 0x10 type Movable Block 0 type Movable Flags 0x0()',
    ' xfs_file_read_iter+0x1f0/0x380 [xfs]',
    ' 0xffffffff81234567',
    'Page has been migrated, last migrate reason: compaction',
    'Charged (via objcg) to offline memcg /a b',
  ].join('\n')
  const early = [...records.slice(0, 30), ...records.filter((_, i) => i % 5000 === 17), odd]
  const late = [...dd.filter((record) => !record.startsWith('Page allocated via order 0')), ...dd.slice(0, 20), ...records.slice(-10)]
  return [fileOf(early), fileOf(late)]
}

/** swap_page_owner in the RFC's format, made from page_owner records (no RFC capture exists). */
function swapText(pageOwner: string): string {
  return fileOf(
    recordsOf(pageOwner).map((record, i) => {
      const [header, , ...body] = record.split('\n')
      const owner = header!.slice(header!.indexOf(', pid ') + 2).replace(/ \(swapped\)$/, '')
      return [`Page allocated via ${owner}`, `SWP entry 0x${(i + 1).toString(16)}`, ...body].join('\n')
    }),
  )
}

interface Format {
  name: keyof typeof oracles
  /** Real text in this format: the first is cut short; any two are spliced. */
  samples: string[]
  parse(source: ByteSource): Promise<Item[]>
  /** The line that ends a record, in formats where it is not the blank line after it. */
  ender?: RegExp
  /** Records cannot be cut short detectably (count_threshold is one bare number). */
  noTruncation?: boolean
}

/** Two slices of a stack file: fuzzing all 100 KB of it a few hundred times takes too long. */
function stackSlices(name: string): string[] {
  const stacks = recordsOf(captureText(name))
  return [fileOf(stacks.slice(0, 30)), fileOf(stacks.slice(150, 180))]
}

const [early, late] = pageOwnerSlices()
const formats: Format[] = [
  {
    name: 'show_handles',
    samples: ['after.show_handles', 'before.show_handles', 'freed.show_handles'].map(captureText),
    parse: async (source) => [...(await parseShowHandles(source, FILE))],
    ender: /^nr_base_pages: /,
  },
  {
    name: 'show_stacks',
    samples: stackSlices('after.show_stacks'),
    parse: async (source) =>
      (await parseShowStacks(source, FILE)).map((stack) => {
        expect(stack.frames.map((frame) => frame.raw).join('\n')).toBe(stack.text)
        return [stack.text, stack.pages]
      }),
    ender: /^nr_base_pages: /,
  },
  {
    name: 'show_stacks',
    samples: stackSlices('after.show_stacks'),
    parse: async (source) => (await readShowStacksText(source, FILE)).map((stack) => [stack.text, stack.pages]),
    ender: /^nr_base_pages: /,
  },
  {
    name: 'show_stacks_handles',
    samples: stackSlices('after.show_stacks_handles'),
    parse: async (source) => [...(await parseShowStacksHandles(source, FILE))].map(([handle, frames]) => [handle, frames.map((f) => f.raw).join('\n')]),
    ender: /^handle: /,
  },
  {
    name: 'page_owner',
    samples: [early, late],
    parse: (source) =>
      collect<PageOwnerRecord>(
        (onRecord) => readPageOwner(source, FILE, onRecord),
        (r) => [r.order, r.comm, r.ts, r.frames.length + r.extra.length + (r.memcg === undefined ? 0 : 1)],
      ),
  },
  {
    name: 'swap_page_owner',
    samples: [swapText(early), swapText(late)],
    parse: (source) =>
      collect<SwapPageOwnerRecord>(
        (onRecord) => readSwapPageOwner(source, FILE, onRecord),
        (r) => [r.pid, r.comm, r.ts, r.swpEntry, r.frames.length + r.extra.length],
      ),
  },
  {
    name: 'count_threshold',
    samples: ['0\n', ' 17 \n', '4096'],
    parse: async (source) => [[await parseCountThreshold(source, FILE)]],
    noTruncation: true,
  },
]

/** Random chunkings: cuts anywhere, or fixed sizes down to one byte. */
const chunking = fc.oneof(
  fc.array(fc.nat(), { maxLength: 12 }).map((cuts) => (bytes: Uint8Array) => chunksAt(bytes, cuts.map((cut) => cut % (bytes.length + 1)))),
  fc.integer({ min: 1, max: 97 }).map((size) => (bytes: Uint8Array) => chunksOf(bytes, size)),
)

const INTERESTING = [...'\n\r :()-+/0x9'].map((char) => char.charCodeAt(0)).concat(0x00, 0xc3, 0xff)
const edit = fc.record({
  kind: fc.constantFrom('flip', 'insert', 'delete'),
  at: fc.nat(),
  byte: fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 })),
})

function damage(bytes: Uint8Array, edits: ReadonlyArray<{ kind: string; at: number; byte: number }>): Uint8Array {
  const out = [...bytes]
  for (const { kind, at, byte } of edits) {
    const i = at % (out.length + 1)
    if (kind === 'insert') out.splice(i, 0, byte)
    else if (i < out.length) {
      if (kind === 'delete') out.splice(i, 1)
      else out[i] = out[i]! ^ (byte || 1)
    }
  }
  return Uint8Array.from(out)
}

/** Offsets at which a file may end with every record before it whole -> how many records. */
function boundaries(text: string, ender: RegExp | undefined): Map<number, number> {
  const found = new Map([[0, 0]])
  const lines = text.split('\n').slice(0, -1) // each followed by '\n'
  let offset = 0
  let records = 0
  let previous = ''
  for (const line of lines) {
    offset += line.length + 1
    const ends = ender ? ender.test(line) : line === '' && previous !== ''
    if (ends) records++
    if (ends || (line === '' && found.has(offset - 1))) found.set(offset, records)
    previous = line
  }
  return found
}

/** The parser's answer for `bytes`: what the oracle reads, or a ParseError that quotes its line. */
async function expectParseOrError(format: Format, bytes: Uint8Array, chunk: (bytes: Uint8Array) => Uint8Array[]): Promise<void> {
  const text = new TextDecoder().decode(bytes)
  const result = await outcome(format.parse(chunk(bytes)))
  if (result.ok) expect(result.value).toEqual(oracles[format.name]!(text))
  else expectParseError(result.error, FILE, text)
}

/** FUZZ_RUNS=5000 (with --testTimeout=0) for a longer hunt. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150)

describe.each(formats)('fuzzing $name', (format) => {
  const samples = format.samples.map(encode)
  const sample = samples[0]!

  it('reads the real file the same in any chunking', async () => {
    expect(sample.length).toBe(format.samples[0]!.length) // ASCII, so byte and char offsets agree
    const whole = oracles[format.name]!(format.samples[0]!)
    expect(whole.length).toBeGreaterThan(0)
    await fc.assert(
      fc.asyncProperty(chunking, async (chunk) => {
        expect(await format.parse(chunk(sample))).toEqual(whole)
      }),
      { numRuns: 50 },
    )
  })

  it.skipIf(format.noTruncation)('returns the records before a cut at a record boundary, and fails anywhere else', async () => {
    const whole = oracles[format.name]!(format.samples[0]!)
    const ends = boundaries(format.samples[0]!, format.ender)
    const check = async (cut: number, chunk: (bytes: Uint8Array) => Uint8Array[]): Promise<void> => {
      const prefix = sample.subarray(0, cut)
      const result = await outcome(format.parse(chunk(prefix)))
      const records = ends.get(cut)
      if (records === undefined) {
        expect(result.ok, `cut at ${cut} must fail`).toBe(false)
        if (!result.ok) expectParseError(result.error, FILE, format.samples[0]!.slice(0, cut))
      } else {
        expect(result, `cut at ${cut}`).toEqual({ ok: true, value: whole.slice(0, records) })
      }
    }
    // Every byte where that is cheap; random cuts (and the boundaries themselves) elsewhere.
    if (sample.length < 10_000) for (let cut = 0; cut <= sample.length; cut++) await check(cut, (bytes) => [bytes])
    for (const cut of ends.keys()) await check(cut, (bytes) => chunksOf(bytes, 7))
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: sample.length }), chunking, check),
      { numRuns: RUNS },
    )
  })

  it('parses two files spliced together correctly, or says where it fails', async () => {
    const pick = fc.nat({ max: samples.length - 1 })
    await fc.assert(
      fc.asyncProperty(pick, pick, fc.nat(), fc.nat(), chunking, async (a, b, i, j, chunk) => {
        const [head, tail] = [samples[a]!, samples[b]!]
        const spliced = Buffer.concat([head.subarray(0, i % (head.length + 1)), tail.subarray(j % (tail.length + 1))])
        await expectParseOrError(format, spliced, chunk)
      }),
      { numRuns: RUNS },
    )
  })

  it('parses damaged files correctly, or says where it fails', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 4 }), chunking, async (edits, chunk) => {
        await expectParseOrError(format, damage(sample, edits), chunk)
      }),
      { numRuns: RUNS },
    )
  })
})
