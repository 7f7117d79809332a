import type { Readable } from 'node:stream'
import { TargetError } from '../../errors.js'
import { FrameDecoder, type Frame } from './protocol.js'

/**
 * Feeds a byte stream (the QEMU port socket, a broker connection, an agent's stdout) through a
 * FrameDecoder. `onClose` runs once: with no error at a clean end, with the reason otherwise
 * (a socket error, a malformed frame, or a frame cut off by the end of the stream).
 */
export function readFrames(input: Readable, onFrame: (frame: Frame) => void, onClose: (error?: Error) => void): void {
  const decoder = new FrameDecoder()
  let closed = false
  const close = (error?: Error): void => {
    if (closed) return
    closed = true
    onClose(error)
  }
  input.on('data', (chunk: Buffer) => {
    if (closed) return
    let frames: Frame[]
    try {
      frames = decoder.push(chunk)
    } catch (error) {
      close(error as Error)
      input.destroy()
      return
    }
    for (const frame of frames) onFrame(frame)
  })
  input.on('error', (error) => close(error))
  input.on('close', () => close(decoder.pending > 0 ? new TargetError(`the stream ended inside a frame (${decoder.pending} bytes left over)`) : undefined))
}
