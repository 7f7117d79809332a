import { describe, expect, it } from 'vitest'
import { LineTooLongError, splitLines } from '../../src/format/lines.js'
import type { ByteSource } from '../../src/format/types.js'
import { chunksAt, chunksOf, encode } from './helpers.js'

async function collect(source: ByteSource, max?: number): Promise<{ lines: string[]; batches: number; newline: boolean }> {
  const batches = splitLines(source, max)
  const lines: string[] = []
  let count = 0
  for (;;) {
    const step = await batches.next()
    if (step.done) return { lines, batches: count, newline: step.value }
    expect(step.value.length).toBeGreaterThan(0)
    lines.push(...step.value)
    count++
  }
}

/** Inputs and the lines they must give, whatever the chunking (execa's chunk-boundary tables). */
const table: Array<[name: string, input: string, lines: string[], newline: boolean]> = [
  ['empty', '', [], true],
  ['one newline', '\n', [''], true],
  ['two lines', 'a\nb\n', ['a', 'b'], true],
  ['no final newline', 'a\nbc', ['a', 'bc'], false],
  ['blank lines kept', 'a\n\n\nb\n', ['a', '', '', 'b'], true],
  ['CRLF', 'a\r\nb\r\n', ['a', 'b'], true],
  ['CRLF and LF mixed', 'a\r\n\r\nb\nc\r\n', ['a', '', 'b', 'c'], true],
  ['lone CR is not a break', 'a\rb\n', ['a\rb'], true],
  ['CR at end without LF', 'a\r', ['a\r'], false],
  ['two-byte chars', 'é\nçà\n', ['é', 'çà'], true],
  ['three- and four-byte chars', '€ x\n😀\n', ['€ x', '😀'], true],
  ['frames', ' shmem_alloc_folio+0x97/0xb0\nnr_base_pages: 3\n\n', [' shmem_alloc_folio+0x97/0xb0', 'nr_base_pages: 3', ''], true],
]

describe('splitLines', () => {
  describe.each(table)('%s', (_name, input, lines, newline) => {
    const bytes = encode(input)

    it('in one chunk', async () => {
      expect(await collect([bytes])).toMatchObject({ lines, newline })
    })

    it('split at every byte offset', async () => {
      for (let cut = 0; cut <= bytes.length; cut++) {
        expect(await collect(chunksAt(bytes, [cut])), `cut at ${cut}`).toMatchObject({ lines, newline })
      }
    })

    it('split at every pair of offsets', async () => {
      for (let a = 1; a < bytes.length; a++) {
        for (let b = a + 1; b < bytes.length; b++) {
          expect(await collect(chunksAt(bytes, [a, b])), `cuts at ${a}, ${b}`).toMatchObject({ lines, newline })
        }
      }
    })

    it('in 1-byte chunks', async () => {
      expect(await collect(chunksOf(bytes, 1))).toMatchObject({ lines, newline })
    })

    it('as text chunks, from an async source', async () => {
      async function* text(): AsyncGenerator<string> {
        for (const char of input) yield char
      }
      expect(await collect(text())).toMatchObject({ lines, newline })
    })
  })

  it('splits CRLF between \\r and \\n without a stray \\r', async () => {
    const { lines } = await collect([encode('one\r'), encode('\ntwo\r'), encode('\n')])
    expect(lines).toEqual(['one', 'two'])
  })

  it('yields one batch per chunk, not one per line', async () => {
    const result = await collect([encode('a\nb\nc\n'), encode('d\ne\n')])
    expect(result).toEqual({ lines: ['a', 'b', 'c', 'd', 'e'], batches: 2, newline: true })
  })

  it('yields nothing for a chunk without a line break', async () => {
    expect(await collect([encode('ab'), encode('c'), encode('d\n')])).toEqual({ lines: ['abcd'], batches: 1, newline: true })
  })

  it('replaces invalid UTF-8 the way a whole-buffer decode does', async () => {
    const bytes = Uint8Array.of(0x61, 0xff, 0x0a, 0xc3, 0x0a, 0xe2, 0x82)
    const whole = new TextDecoder().decode(bytes).split('\n')
    expect((await collect(chunksOf(bytes, 1))).lines).toEqual(whole)
  })

  it('stops a line that grows past the limit', async () => {
    const error = await collect([encode('ok\n'), encode('x'.repeat(50)), encode('x'.repeat(60))], 100).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LineTooLongError)
    expect((error as LineTooLongError).prefix).toBe('x'.repeat(110))
  })
})
