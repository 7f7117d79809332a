import type { Readable, Writable } from 'node:stream'
import { AgentHub } from './hub.js'
import { decodeHello, encodeFrame, FrameType } from './protocol.js'
import { readFrames } from './stream.js'

/** An agent that said HELLO, with a hub sharing its connection. */
export interface AgentLink {
  hub: AgentHub
  hello: Record<string, string>
  /** Settles when the connection ends: with the reason when it broke. */
  closed: Promise<Error | undefined>
}

/**
 * Puts a hub on an agent's byte streams (QEMU's port socket, or an agent run on the host with
 * --stdio) and resolves at its HELLO, or with the error that ended the connection first.
 */
export function linkAgent(input: Readable, output: Writable): Promise<AgentLink | { error: Error }> {
  const hub = new AgentHub((frame) => output.write(encodeFrame(frame)))
  let settleClosed!: (error: Error | undefined) => void
  const closed = new Promise<Error | undefined>((resolve) => (settleClosed = resolve))
  // A write to an agent that died (EPIPE) ends the link like its read side does.
  output.on('error', (error) => input.destroy(error))
  return new Promise((resolve) => {
    readFrames(
      input,
      (frame) => {
        if (frame.type === FrameType.Hello) resolve({ hub, closed, hello: decodeHello(frame.payload) })
        else hub.receive(frame)
      },
      (error) => {
        settleClosed(error)
        resolve({ error: error ?? new Error('the agent closed its connection') })
      },
    )
  })
}
