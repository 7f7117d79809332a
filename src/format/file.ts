import { open, type FileHandle } from 'node:fs/promises'
import { Readable, pipeline } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { FileMissingError, ParseError, PermissionError } from '../errors.js'

/** Chunks handed on: one await per MiB downstream, not one per read. */
const CHUNK = 1 << 20
/**
 * The least room a read asks for. page_owner formats a record into min(count, PAGE_SIZE) bytes
 * and fails the read with ENOMEM when it does not fit, so a read must offer a whole page
 * (64 KiB: the largest PAGE_SIZE).
 */
const MIN_READ = 64 << 10

/**
 * The bytes of a file on disk, gunzipped on the way when they start with gzip's magic bytes
 * (1f 8b): recordings are often compressed whatever their name says, and debugfs files never
 * start that way. ENOENT and EACCES become FileMissingError and PermissionError; corrupt gzip
 * data becomes a ParseError at line 0 (the container, before any line).
 */
export async function* openFile(path: string): AsyncGenerator<Uint8Array, void, undefined> {
  const chunks = readChunks(path)
  try {
    const first = await chunks.next()
    if (first.done) return
    const head = first.value
    if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
      yield* gunzip(path, concat(head, chunks))
    } else {
      yield head
      yield* chunks
    }
  } finally {
    await chunks.return() // closes the file when the reader stops early
  }
}

/**
 * Reads with `position: null`, from the file's own offset: debugfs page_owner keeps a PFN there,
 * not a byte count, so positioned reads would skip pages. It also answers one record per read,
 * so reads are gathered into CHUNK-sized chunks rather than handed on one by one.
 */
async function* readChunks(path: string): AsyncGenerator<Buffer, void, undefined> {
  let file: FileHandle
  try {
    file = await open(path, 'r')
  } catch (error) {
    throw fileError(path, error)
  }
  try {
    const buffer = Buffer.allocUnsafe(CHUNK)
    let filled = 0
    for (;;) {
      const { bytesRead } = await file.read(buffer, filled, CHUNK - filled, null)
      filled += bytesRead
      if (filled > 0 && (bytesRead === 0 || CHUNK - filled < MIN_READ)) {
        yield Buffer.from(buffer.subarray(0, filled)) // a copy: the buffer is reused
        filled = 0
      }
      if (bytesRead === 0) return
    }
  } finally {
    await file.close()
  }
}

async function* gunzip(path: string, compressed: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
  const inflate = createGunzip({ chunkSize: CHUNK })
  // pipeline hands a read error on to the gunzip stream, so the loop below sees it.
  pipeline(Readable.from(compressed), inflate, () => {})
  try {
    yield* inflate as AsyncIterable<Buffer>
  } catch (error) {
    if (isZlibError(error)) throw new ParseError(path, 0, '', `not valid gzip data (${error.message})`, { cause: error })
    throw error
  }
}

async function* concat<T>(first: T, rest: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  yield first
  yield* rest
}

function fileError(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (code === 'ENOENT') return new FileMissingError(path, { cause: error })
  if (code === 'EACCES' || code === 'EPERM') return new PermissionError(path, { cause: error })
  return error
}

function isZlibError(error: unknown): error is Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return typeof code === 'string' && code.startsWith('Z_')
}
