import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { FileMissingError, ParseError, PermissionError } from '../../src/errors.js'
import { openFile } from '../../src/format/file.js'
import { capturePath } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'page-budget-file-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function read(path: string): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  for await (const chunk of openFile(path)) chunks.push(chunk)
  return Buffer.concat(chunks)
}

function write(name: string, data: string | Uint8Array): string {
  const path = join(dir, name)
  writeFileSync(path, data)
  return path
}

describe('openFile', () => {
  it('reads a plain file as it is', async () => {
    const path = capturePath('after.show_handles')
    expect(await read(path)).toEqual(readFileSync(path))
  })

  it('gunzips by magic bytes, whatever the name', async () => {
    const text = 'handle: 1\nnr_base_pages: 2\n\n'.repeat(1000)
    expect((await read(write('recorded.show_handles', gzipSync(text)))).toString()).toBe(text)
    expect((await read(write('two-members.gz', Buffer.concat([gzipSync('a\n'), gzipSync('b\n')])))).toString()).toBe('a\nb\n')
  })

  it('reads files too short to hold the magic bytes, and empty ones', async () => {
    expect((await read(capturePath('count_threshold'))).toString()).toBe('0')
    expect((await read(write('one-byte', Uint8Array.of(0x1f)))).length).toBe(1)
    expect((await read(write('empty', ''))).length).toBe(0)
  })

  it.each([
    ['plain', Buffer.alloc(3 << 20, 0x61)],
    ['gzip', gzipSync(randomBytes(3 << 20))], // random, so it stays larger than one chunk
  ])('closes a %s file when the reader stops early', async (name, data) => {
    const path = write(name, data)
    const open = (): number => readdirSync('/proc/self/fd').length
    const before = open()
    for await (const chunk of openFile(path)) {
      expect(chunk.length).toBeGreaterThan(0)
      expect(open()).toBe(before + 1)
      break
    }
    expect(open()).toBe(before)
  })

  it('reads a pipe, which cannot seek (as debugfs files need not)', async () => {
    const fifo = join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    const writer = import('node:fs/promises').then((fs) => fs.writeFile(fifo, 'handle: 1\nnr_base_pages: 2\n\n'))
    expect((await read(fifo)).toString()).toBe('handle: 1\nnr_base_pages: 2\n\n')
    await writer
  })

  it('says a missing file is missing', async () => {
    const error = await read(join(dir, 'nope')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(FileMissingError)
    expect((error as FileMissingError).path).toBe(join(dir, 'nope'))
  })

  it('says an unreadable file needs permission', async () => {
    const path = write('secret', 'x')
    chmodSync(path, 0o000)
    if (process.getuid?.() !== 0) {
      expect(await read(path).catch((e: unknown) => e)).toBeInstanceOf(PermissionError)
      return
    }
    // Root reads anything: ask an unprivileged child (running the built module) instead.
    const dist = new URL('../../dist/format/file.js', import.meta.url).href
    const script = `import(${JSON.stringify(dist)}).then(async ({ openFile }) => { try { for await (const _ of openFile(${JSON.stringify(path)})); } catch (e) { console.log(e.name) } })`
    expect(execFileSync(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' }).trim()).toBe('PermissionError')
  })

  it('reports corrupt gzip data as a ParseError', async () => {
    const truncated = gzipSync('handle: 1\nnr_base_pages: 2\n\n'.repeat(100)).subarray(0, 40)
    const error = await read(write('cut.gz', truncated)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ParseError)
    expect((error as ParseError).message).toMatch(/^.*cut\.gz:0: not valid gzip data \(unexpected end of file\)/)
  })
})
