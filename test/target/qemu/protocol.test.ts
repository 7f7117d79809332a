import { describe, expect, it } from 'vitest'
import { TargetError } from '../../../src/errors.js'
import { encodeFrame, FrameDecoder, FrameType, MAX_FRAME, nextFreeId, type Frame } from '../../../src/target/qemu/protocol.js'

const frames: Frame[] = [
  { id: 1, type: FrameType.Exec, payload: Buffer.from('echo hi') },
  { id: 0, type: FrameType.Hello, payload: Buffer.from('boot_id=x\n') },
  { id: 0xffff_ffff, type: FrameType.Done, payload: new Uint8Array() },
  { id: 7, type: FrameType.Data, payload: Uint8Array.from({ length: 256 }, (_, i) => i) },
  { id: 8, type: FrameType.Data, payload: Buffer.alloc(70_000, 0xab) },
]
const stream = Buffer.concat(frames.map(encodeFrame))

// Payloads as base64: deep equality over 70 KB byte arrays, hundreds of times, is slow.
const plainFrames = (decoded: Frame[]) => decoded.map((f) => ({ id: f.id, type: f.type, payload: Buffer.from(f.payload).toString('base64') }))
const expected = plainFrames(frames)

function decodeChunks(chunks: Uint8Array[]): Frame[] {
  const decoder = new FrameDecoder()
  const out = chunks.flatMap((chunk) => decoder.push(chunk))
  expect(decoder.pending).toBe(0)
  return out
}

describe('frame codec', () => {
  it('encodes the header as length, id, type, little-endian', () => {
    expect([...encodeFrame({ id: 0x01020304, type: FrameType.Read, payload: Buffer.from('ab') })]).toEqual([
      7, 0, 0, 0, 4, 3, 2, 1, 0x02, 0x61, 0x62,
    ])
  })

  it('decodes many frames that arrive in one chunk', () => {
    expect(plainFrames(decodeChunks([stream]))).toEqual(expected)
  })

  it('decodes a stream split at every point into two chunks', () => {
    for (let at = 0; at <= stream.length; at += at < 600 ? 1 : 997) {
      expect(plainFrames(decodeChunks([stream.subarray(0, at), stream.subarray(at)]))).toEqual(expected)
    }
  })

  it('decodes a stream of 1-byte chunks', () => {
    const small = Buffer.concat(frames.slice(0, 4).map(encodeFrame))
    const bytes = [...small].map((byte) => Uint8Array.of(byte))
    expect(plainFrames(decodeChunks(bytes))).toEqual(expected.slice(0, 4))
  })

  it('decodes chunks of every size from 2 to 64 bytes', () => {
    for (let size = 2; size <= 64; size++) {
      const chunks: Uint8Array[] = []
      for (let at = 0; at < stream.length; at += size) chunks.push(stream.subarray(at, at + size))
      expect(plainFrames(decodeChunks(chunks))).toEqual(expected)
    }
  })

  it('holds a cut frame as pending', () => {
    const decoder = new FrameDecoder()
    expect(decoder.push(stream.subarray(0, 10))).toHaveLength(0)
    expect(decoder.pending).toBe(10)
  })

  it('rejects a length field that no frame can have', () => {
    const bad = Buffer.alloc(9)
    bad.writeUInt32LE(MAX_FRAME + 1, 0)
    expect(() => new FrameDecoder().push(bad)).toThrow(TargetError)
    expect(() => new FrameDecoder().push(Buffer.from([4, 0, 0, 0]))).toThrow(/length field 4/)
  })
})

describe('nextFreeId', () => {
  it('skips 0 and ids still open when it wraps', () => {
    expect(nextFreeId(0, new Set())).toBe(1)
    expect(nextFreeId(0xffff_ffff, new Set([1, 2]))).toBe(3)
  })
})
