import { TargetError } from '../../errors.js'

/**
 * The frame protocol between the host and guest/agent.c (the guest agent), also spoken
 * between the broker and other processes' clients. guest/agent.c documents it at the top;
 * the two must stay in step. All integers little-endian:
 *
 *   u32 length (of what follows) | u32 request id | u8 type | payload
 *
 * Host -> guest: EXEC (command for `/bin/sh -c`, own process group), READ (u32 window | path),
 * WRITE (u32 path length | path | data), CANCEL (empty), ACK (u32 bytes consumed of a READ),
 * STAT (path), PING (id 0, empty, unanswered: see AgentHub). Guest -> host: HELLO (id 0,
 * `key=value` lines), STDOUT, STDERR, DATA, EXIT (u8 signaled | u32 code or signal), ERROR
 * (u32 errno | message), DONE. Every request ends with exactly one EXIT, ERROR or DONE.
 * Broker -> client only: GONE (id 0, message): the VM is gone.
 */
export const FrameType = {
  Exec: 0x01,
  Read: 0x02,
  Write: 0x03,
  Cancel: 0x04,
  Ack: 0x05,
  Stat: 0x06,
  Ping: 0x07,
  Hello: 0x81,
  Stdout: 0x82,
  Stderr: 0x83,
  Data: 0x84,
  Exit: 0x85,
  Error: 0x86,
  Done: 0x87,
  Gone: 0x88,
} as const

export interface Frame {
  id: number
  type: number
  payload: Uint8Array
}

/** Frames that end a request: after one of these its id may be reused. */
export function isTerminal(type: number): boolean {
  return type === FrameType.Exit || type === FrameType.Error || type === FrameType.Done
}

/** Linux errno values as the agent sends them (the guest is always Linux, whatever the host is). */
export const Errno = { EPERM: 1, ENOENT: 2, EACCES: 13 } as const

/** How far a READ may run ahead of its consumer: bounds memory on the host and in the broker. */
export const READ_WINDOW = 1024 * 1024

/** A length field beyond this means the byte stream is broken, not that a frame is big. */
export const MAX_FRAME = 16 * 1024 * 1024

const HEADER = 9

/** The request id after `previous`: never 0 (HELLO's and GONE's), never one still open after the counter wraps. */
export function nextFreeId(previous: number, open: { has(id: number): boolean }): number {
  let id = previous
  do id = id >= 0xffff_ffff ? 1 : id + 1
  while (open.has(id))
  return id
}

export function encodeFrame(frame: Frame): Buffer {
  const bytes = Buffer.allocUnsafe(HEADER + frame.payload.length)
  bytes.writeUInt32LE(5 + frame.payload.length, 0)
  bytes.writeUInt32LE(frame.id, 4)
  bytes.writeUInt8(frame.type, 8)
  bytes.set(frame.payload, HEADER)
  return bytes
}

/**
 * Turns a byte stream cut at arbitrary points into frames. Chunks are kept as they arrive and
 * joined only when a frame spans them, so a 64 KiB DATA frame in one chunk is not copied.
 */
export class FrameDecoder {
  #chunks: Buffer[] = []
  #size = 0

  push(chunk: Uint8Array): Frame[] {
    if (chunk.length > 0) {
      this.#chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length))
      this.#size += chunk.length
    }
    const frames: Frame[] = []
    while (this.#size >= 4) {
      const length = this.#peek(4).readUInt32LE(0)
      if (length < 5 || length > MAX_FRAME) {
        throw new TargetError(`malformed page-budget frame: length field ${length}`, {
          hint: 'the other end is not a page-budget agent or broker, or the stream lost bytes',
        })
      }
      if (this.#size < 4 + length) break
      const bytes = this.#take(4 + length)
      frames.push({ id: bytes.readUInt32LE(4), type: bytes.readUInt8(8), payload: bytes.subarray(HEADER) })
    }
    return frames
  }

  /** Bytes held that do not yet make a whole frame: non-zero at end of stream means a cut frame. */
  get pending(): number {
    return this.#size
  }

  /** The first `n` bytes as one buffer, merging leading chunks only when they are shorter. */
  #peek(n: number): Buffer {
    const first = this.#chunks[0]!
    if (first.length >= n) return first
    let count = 1
    for (let have = first.length; have < n; count++) have += this.#chunks[count]!.length
    const merged = Buffer.concat(this.#chunks.slice(0, count))
    this.#chunks.splice(0, count, merged)
    return merged
  }

  #take(n: number): Buffer {
    const head = this.#peek(n)
    this.#size -= n
    if (head.length === n) this.#chunks.shift()
    else this.#chunks[0] = head.subarray(n)
    return head.subarray(0, n)
  }
}

const utf8 = new TextEncoder()

function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4)
  new DataView(bytes.buffer).setUint32(0, value, true)
  return bytes
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts)
}

export const payload = {
  text: (text: string): Uint8Array => utf8.encode(text),
  read: (path: string, window: number): Uint8Array => concat(u32(window), utf8.encode(path)),
  write: (path: string, data: Uint8Array): Uint8Array => {
    const name = utf8.encode(path)
    return concat(u32(name.length), name, data)
  },
  ack: (bytes: number): Uint8Array => u32(bytes),
}

export interface ExitStatus {
  /** Exit code, or the signal number when `signaled`. */
  code: number
  signaled: boolean
}

export function decodeExit(bytes: Uint8Array): ExitStatus {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  return { signaled: view.readUInt8(0) === 1, code: view.readUInt32LE(1) }
}

export interface AgentFailure {
  errno: number
  message: string
}

export function decodeError(bytes: Uint8Array): AgentFailure {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  return { errno: view.readUInt32LE(0), message: view.subarray(4).toString('utf8') }
}

/** HELLO's `key=value` lines; unknown keys are kept so newer agents can add some. */
export function decodeHello(bytes: Uint8Array): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const line of Buffer.from(bytes).toString('utf8').split('\n')) {
    const at = line.indexOf('=')
    if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1)
  }
  return fields
}

export function encodeHello(fields: Record<string, string>): Uint8Array {
  return utf8.encode(Object.entries(fields).map(([key, value]) => `${key}=${value}\n`).join(''))
}
