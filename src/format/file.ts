import type { Stats } from 'node:fs'
import { constants, open, stat, type FileHandle } from 'node:fs/promises'
import { isUtf8 } from 'node:buffer'
import { BinaryFileError, FileMissingError, FileReadError, FileTypeError, ParseError, PermissionError, type FileKind } from '../errors.js'

/**
 * Chunks handed on: one await per 512 KiB downstream, not one per read. Two are in memory while
 * the next is read (readChunks), as one MiB was before reads ran ahead: ~18 ms less of `top` on a
 * 45 MB file, measured side by side.
 */
const CHUNK = 1 << 19
/**
 * The least room a read asks for. page_owner formats a record into min(count, PAGE_SIZE) bytes
 * and fails the read with ENOMEM when it does not fit, so a read must offer a whole page
 * (64 KiB: the largest PAGE_SIZE).
 */
const MIN_READ = 64 << 10
/**
 * Text with more than one invalid UTF-8 sequence in this many bytes is binary. Kernel text can
 * hold some: a command name is cut at 15 bytes, which can split a character, and page_owner
 * prints it in every record of that process; a whole record is far longer than 32 bytes.
 */
const BYTES_PER_INVALID_UTF8 = 32

export interface OpenOptions {
  /**
   * Read every chunk into the same buffer (default false): for a reader that is done with a chunk
   * when it asks for the next and keeps none of it (RecordScanner copies what it carries). A
   * gigabyte read then leaves no buffers for the collector, which keeps the peak RSS flat (two take
   * turns, as the next chunk is read ahead).
   */
  reuse?: boolean
  /**
   * Bytes per chunk (default 512 KiB; at least MIN_READ, 64 KiB): a reader that wants only the
   * first lines asks for less, as each fresh page a read fills costs a page fault (~35 µs on a
   * VM: 9 ms per MiB).
   */
  chunk?: number
}

/**
 * The bytes of a file on disk, gunzipped on the way when they start with gzip's magic bytes
 * (1f 8b): recordings are often compressed whatever their name says, and debugfs files never
 * start that way. Anything but a regular file is refused before it is opened (FileTypeError);
 * ENOENT and EACCES become FileMissingError and PermissionError; corrupt gzip data becomes a
 * ParseError at line 0 (the container, before any line); bytes that cannot be kernel text
 * become a BinaryFileError.
 */
export async function* openFile(path: string, options: OpenOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
  const reuse = options.reuse ?? false
  const size = Math.max(options.chunk ?? CHUNK, MIN_READ)
  const chunks = readChunks(path, reuse, size)
  try {
    const first = await chunks.next()
    if (first.done) return
    const head = first.value
    if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
      // zlib holds on to its input past the next read: it gets chunks of its own.
      yield* refuseBinary(path, gunzip(path, concat(head, reuse ? copies(chunks) : chunks), size))
    } else {
      yield* refuseBinary(path, concat(head, chunks))
    }
  } finally {
    await chunks.return() // closes the file when the reader stops early
  }
}

/**
 * Throws a FileTypeError when `path` is there but is not of the kind wanted, before anything opens
 * it: opening a FIFO waits for a writer, opening some devices acts (a watchdog arms), and reading
 * /dev/zero never ends. A path that cannot be stat'ed is left to its reader, which names why.
 */
export async function refuseWrongKind(path: string, wanted: 'file' | 'directory'): Promise<void> {
  const stats = await stat(path).catch(() => undefined)
  if (stats) requireKind(path, stats, wanted)
}

/** Throws a FileTypeError unless `stats` are of the kind wanted. */
export function requireKind(path: string, stats: Stats, wanted: 'file' | 'directory'): void {
  const kind = kindOf(stats)
  if (kind !== wanted) throw new FileTypeError(path, kind, wanted)
}

function kindOf(stats: Stats): FileKind {
  if (stats.isFile()) return 'file'
  if (stats.isDirectory()) return 'directory'
  if (stats.isFIFO()) return 'FIFO'
  if (stats.isSocket()) return 'socket'
  return stats.isCharacterDevice() ? 'character device' : 'block device'
}

/** A failed open or read as the named error for it: missing, not permitted, or another system error. */
export function fileError(path: string, error: unknown, options: { hint?: string } = {}): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  // ENOTDIR: a directory on the way is a file, so nothing is at the path.
  if (code === 'ENOENT' || code === 'ENOTDIR') return new FileMissingError(path, { hint: options.hint ?? 'check the path', cause: error })
  if (code === 'EACCES' || code === 'EPERM') return new PermissionError(path, { cause: error })
  return new FileReadError(path, error)
}

/**
 * Reads with `position: null`, from the file's own offset: debugfs page_owner keeps a PFN there,
 * not a byte count, so positioned reads would skip pages. It also answers one record per read,
 * so reads are gathered into chunks of `size` bytes rather than handed on one by one. The next
 * chunk is read while the reader works on this one: with `reuse`, two buffers take turns.
 */
async function* readChunks(path: string, reuse: boolean, size: number): AsyncGenerator<Buffer, void, undefined> {
  await refuseWrongKind(path, 'file')
  let file: FileHandle
  try {
    // O_NONBLOCK: should a FIFO take the file's place after the check, its open cannot hang (regular files ignore the flag).
    file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    throw fileError(path, error)
  }
  // Unless the reader lets go of each chunk, the one handed on is never written again: a fresh
  // buffer costs less than a copy.
  const buffers = reuse ? [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)] : undefined
  let turn = 0
  const nextBuffer = () => buffers?.[turn++ % 2] ?? Buffer.allocUnsafe(size)
  let buffer = nextBuffer()
  let next = fill(file, path, buffer)
  try {
    for (;;) {
      const filled = await next
      if (filled === 0) return
      const chunk = buffer.subarray(0, filled)
      buffer = nextBuffer()
      next = fill(file, path, buffer)
      next.catch(() => {}) // its error is thrown where it is awaited, not reported as unhandled meanwhile
      yield chunk
    }
  } finally {
    await next.catch(() => {}) // a read still running when the reader stops must end before the file closes
    await file.close()
  }
}

/** Reads into `buffer` until less than MIN_READ of it is left or the file ends; how many bytes it holds. */
async function fill(file: FileHandle, path: string, buffer: Buffer): Promise<number> {
  let filled = 0
  for (;;) {
    let bytesRead: number
    try {
      ;({ bytesRead } = await file.read(buffer, filled, buffer.length - filled, null))
    } catch (error) {
      throw fileError(path, error)
    }
    filled += bytesRead
    if (bytesRead === 0 || buffer.length - filled < MIN_READ) return filled
  }
}

/**
 * Passes text through and throws a BinaryFileError at the first chunk that cannot be kernel
 * text: a NUL byte anywhere, or invalid UTF-8 denser than BYTES_PER_INVALID_UTF8 over what was
 * read so far. Both checks run in native code; only a chunk that fails isUtf8 is decoded to
 * count its invalid sequences (a character split between chunks counts, harmlessly).
 */
async function* refuseBinary(path: string, chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
  let offset = 0
  let invalid = 0
  for await (const chunk of chunks) {
    const nul = chunk.indexOf(0)
    if (nul >= 0) throw new BinaryFileError(path, 'nul', offset + nul)
    offset += chunk.length
    if (!isUtf8(chunk)) invalid += countReplacements(new TextDecoder().decode(chunk))
    if (invalid * BYTES_PER_INVALID_UTF8 > offset) throw new BinaryFileError(path, 'invalid-utf8', offset)
    yield chunk
  }
}

function countReplacements(text: string): number {
  let count = 0
  for (let at = text.indexOf('\uFFFD'); at >= 0; at = text.indexOf('\uFFFD', at + 1)) count++
  return count
}

async function* gunzip(path: string, compressed: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer, void, undefined> {
  // Loaded only for gzip: node:zlib and node:stream take ~10 ms to load, 3% of \`top\` on a 45 MB file.
  const [{ createGunzip }, { Readable, pipeline }] = await Promise.all([import('node:zlib'), import('node:stream')])
  const inflate = createGunzip({ chunkSize: size })
  // pipeline hands a read error on to the gunzip stream, so the loop below sees it.
  pipeline(Readable.from(compressed), inflate, () => {})
  try {
    yield* inflate as AsyncIterable<Buffer>
  } catch (error) {
    if (isZlibError(error)) throw new ParseError(path, 0, '', `not valid gzip data (${error.message})`, { cause: error })
    throw error
  }
}

async function* copies(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
  for await (const chunk of chunks) yield Buffer.concat([chunk])
}

async function* concat<T>(first: T, rest: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  yield first
  yield* rest
}

function isZlibError(error: unknown): error is Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return typeof code === 'string' && code.startsWith('Z_')
}
