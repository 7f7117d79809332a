import { chmod, rm } from 'node:fs/promises'
import { createServer, type Socket } from 'node:net'
import type { AgentHub } from './hub.js'
import { encodeFrame, encodeHello, FrameType, payload } from './protocol.js'
import { readFrames } from './stream.js'

export interface Broker {
  close(): Promise<void>
}

/**
 * Lets other processes (Vitest workers) use the VM that one process booted: a unix socket that
 * speaks the agent's frame protocol. Each connection gets the HELLO (plus the target
 * description) and then is one hub client, so its request ids are its own; when the VM goes,
 * each gets a GONE frame with the reason before the socket closes.
 */
export async function startBroker(hub: AgentHub, socketPath: string, hello: Record<string, string>): Promise<Broker> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    let gone = false
    const port = hub.attach({
      deliver: (frame) => socket.write(encodeFrame(frame)),
      fail: (error) => {
        gone = true
        socket.end(encodeFrame({ id: 0, type: FrameType.Gone, payload: payload.text(error.message) }))
      },
    })
    // A client that connects after the VM ended gets GONE instead of HELLO.
    if (!gone) socket.write(encodeFrame({ id: 0, type: FrameType.Hello, payload: encodeHello(hello) }))
    readFrames(socket, (frame) => port.send(frame), () => port.detach())
  })
  await rm(socketPath, { force: true })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(socketPath, () => resolve())
  })
  // connect(2) needs write permission on the socket. Its directory (the VM's 0700 run directory)
  // already keeps other users out; this keeps them out wherever a caller puts the socket.
  await chmod(socketPath, 0o600)
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        // GONE frames were queued with end(); destroy only what is still open once they had a moment.
        for (const socket of sockets) socket.destroySoon()
      }),
  }
}
