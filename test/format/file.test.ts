import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { BinaryFileError, FileMissingError, FileTypeError, ParseError, PermissionError } from '../../src/errors.js'
import { openFile } from '../../src/format/file.js'
import { capturePath } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'page-budget-file-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function read(path: string): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  for await (const chunk of openFile(path)) chunks.push(chunk)
  return Buffer.concat(chunks)
}

function fifo(): string {
  const path = join(dir, 'fifo')
  execFileSync('mkfifo', ['-m', '600', path])
  return path
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
    ['gzip', gzipSync(randomBytes(3 << 20).toString('base64'))], // random text, so it stays larger than one chunk
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

  it('reads from the file offset, never at a position (debugfs page_owner keeps a PFN there)', async () => {
    const probe = await open(capturePath('after.show_handles'))
    const spy = vi.spyOn(Object.getPrototypeOf(probe) as FileHandle, 'read')
    await probe.close()
    try {
      await read(write('long', 'handle: 1\nnr_base_pages: 2\n\n'.repeat(100_000)))
      expect(spy.mock.calls.length).toBeGreaterThan(1)
      // read(buffer, offset, length, position)
      expect(spy.mock.calls.map((call) => (call as unknown[])[3])).toEqual(spy.mock.calls.map(() => null))
    } finally {
      spy.mockRestore()
    }
  })

  it.each([
    ['a directory', () => dir, 'directory'],
    ['a FIFO nobody writes to, without waiting for a writer', () => fifo(), 'FIFO'],
    ['an endless device', () => '/dev/zero', 'character device'],
  ])('refuses %s', async (_, where, kind) => {
    const path = where()
    const error = await read(path).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(FileTypeError)
    expect(error).toMatchObject({ code: 'E_FILE_TYPE', kind, wanted: 'file', path })
  })

  it.each([
    ['NUL bytes', Buffer.concat([Buffer.from('handle: 1\n'), Buffer.alloc(64)]), 'nul', 10],
    ['bytes that are not UTF-8', Buffer.alloc(4096, 0xff), 'invalid-utf8', 4096],
    ['gzipped zeros (a bomb is stopped at its first chunk)', gzipSync(Buffer.alloc(16 << 20)), 'nul', 0],
  ])('calls %s binary data', async (_, data, reason, offset) => {
    const error = await read(write('binary', data)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BinaryFileError)
    expect(error).toMatchObject({ code: 'E_BINARY', reason, offset })
    expect((error as Error).message).toContain('binary data, not page_owner text')
  })

  it('reads a command name cut inside a character, as page_owner prints it in every record of its process', async () => {
    // TASK_COMM_LEN keeps 15 bytes of "wörker-größe-01": the cut falls inside the second ö.
    const comm = Buffer.from('wörker-größe-01').subarray(0, 15)
    const record = Buffer.concat([Buffer.from('Page allocated via order 0, mask 0x0(), pid 7, tgid 7 ('), comm, Buffer.from('), ts 1 ns\nPFN 0x1 type Movable Block 0 type Movable Flags 0x0()\n get_page_from_freelist+0x1/0x2\n\n')])
    const data = Buffer.concat(Array.from({ length: 1000 }, () => record))
    expect(Buffer.compare(await read(write('odd-comm', data)), data)).toBe(0)
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

  it('reports truncated and corrupt gzip data as a ParseError at line 0', async () => {
    const gzip = gzipSync('handle: 1\nnr_base_pages: 2\n\n'.repeat(100))
    const truncated = await read(write('cut.gz', gzip.subarray(0, 40))).catch((e: unknown) => e)
    expect(truncated).toBeInstanceOf(ParseError)
    expect((truncated as ParseError).message).toMatch(/^.*cut\.gz:0: not valid gzip data \(unexpected end of file\)/)
    const corrupt = Buffer.from(gzip)
    corrupt.fill(0xff, 10, 30) // the deflate stream's first bytes, past the 10-byte header
    const garbled = await read(write('garbled.gz', corrupt)).catch((e: unknown) => e)
    expect(garbled).toBeInstanceOf(ParseError)
    expect(garbled).toMatchObject({ line: 0, code: 'E_PARSE' })
    expect((garbled as ParseError).message).toMatch(/garbled\.gz:0: not valid gzip data \(invalid /)
  })
})
