import { connect } from 'node:net'
import { VmError } from '../../errors.js'
import type { Target } from '../types.js'
import { RequestChannel } from './channel.js'
import { decodeHello, encodeFrame, FrameType } from './protocol.js'
import { readFrames } from './stream.js'
import { QemuTarget } from './target.js'

/**
 * A Target on a VM that another process booted (startVm in Vitest's globalSetup), through the
 * broker at `socketPath` (QemuVm.socketPath). Requests go through the same RequestChannel as
 * in the VM's own process; `close()` drops this connection and cancels what it left running.
 */
export function connectVm(socketPath: string): Promise<Target> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath)
    const channel = new RequestChannel((frame) => socket.write(encodeFrame(frame)))
    let target: QemuTarget | undefined
    socket.once('error', (error) => {
      if (!target) {
        reject(new VmError(`cannot reach the page-budget VM at ${socketPath}: ${error.message}`, {
          hint: 'the process that booted the VM (globalSetup) must still be running; check that it started the VM and passed this socketPath',
          cause: error,
        }))
      }
    })
    readFrames(
      socket,
      (frame) => {
        if (frame.type === FrameType.Hello && !target) {
          const hello = decodeHello(frame.payload)
          target = new QemuTarget(channel, hello.description ?? `qemu via ${socketPath}`, async () => {
            socket.end()
          }, hello.console_log, hello.kernel_image)
          resolve(target)
        } else if (frame.type === FrameType.Gone) {
          const gone = new VmError(Buffer.from(frame.payload).toString('utf8'))
          channel.fail(gone)
          if (!target) reject(gone)
        } else {
          channel.receive(frame)
        }
      },
      (error) => {
        const lost = new VmError(`the connection to the page-budget VM at ${socketPath} closed${error ? `: ${error.message}` : ''}`)
        channel.fail(lost)
        if (!target) reject(lost)
      },
    )
  })
}
