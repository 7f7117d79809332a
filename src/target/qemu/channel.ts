import { FileMissingError, PermissionError, TargetError } from '../../errors.js'
import type { ExecResult } from '../types.js'
import type { AgentHub } from './hub.js'
import { decodeError, decodeExit, Errno, FrameType, isTerminal, nextFreeId, payload, READ_WINDOW, type Frame } from './protocol.js'

/**
 * A channel in the hub's own process: frames go to the hub and come back without a socket in
 * between. After detach() its requests fail at once instead of waiting for a hub that no longer
 * listens.
 */
export function attachChannel(hub: AgentHub): { channel: RequestChannel; detach(): void } {
  const channel = new RequestChannel((frame) => port.send(frame))
  const port = hub.attach({ deliver: (frame) => channel.receive(frame), fail: (error) => channel.fail(error) })
  return {
    channel,
    detach: () => {
      port.detach()
      channel.fail(new TargetError('this target was closed (the VM itself runs until QemuVm.stop())'))
    },
  }
}

/** What a request does with the frames that answer it. */
interface Pending {
  onFrame(frame: Frame): void
  onFail(error: Error): void
}

/**
 * The request/response bookkeeping of the agent protocol, whatever carries the frames: the VM's
 * own process hands them to the hub directly, other processes send them through the broker's
 * socket. Ids are allocated here, answers routed to their request, and a dead transport fails
 * every open request with the transport's error.
 */
export class RequestChannel {
  readonly #send: (frame: Frame) => void
  readonly #pending = new Map<number, Pending>()
  #nextId = 0
  #failure: Error | undefined

  constructor(send: (frame: Frame) => void) {
    this.#send = send
  }

  /** An answer from the agent (by way of hub or broker). Answers to finished requests are dropped. */
  receive(frame: Frame): void {
    const pending = this.#pending.get(frame.id)
    if (!pending) return
    if (isTerminal(frame.type)) this.#pending.delete(frame.id)
    pending.onFrame(frame)
  }

  /** The transport is gone: every open request and every later one rejects with `error`. */
  fail(error: Error): void {
    this.#failure ??= error
    const open = [...this.#pending.values()]
    this.#pending.clear()
    for (const pending of open) pending.onFail(error)
  }

  exec(command: string, timeout: number): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const stdout: Uint8Array[] = []
      const stderr: Uint8Array[] = []
      let settled = false
      let timer: NodeJS.Timeout | undefined
      const settle = (outcome: () => void): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        outcome()
      }
      const id = this.#start(FrameType.Exec, payload.text(command), {
        onFrame: (frame) => {
          if (frame.type === FrameType.Stdout) stdout.push(frame.payload)
          else if (frame.type === FrameType.Stderr) stderr.push(frame.payload)
          else if (frame.type === FrameType.Exit) {
            const status = decodeExit(frame.payload)
            settle(() =>
              resolve({
                // The shell's convention, so `exitCode` alone says a signal ended the command.
                exitCode: status.signaled ? 128 + status.code : status.code,
                stdout: Buffer.concat(stdout).toString('utf8'),
                stderr: Buffer.concat(stderr).toString('utf8'),
              }),
            )
          } else if (frame.type === FrameType.Error) {
            settle(() => reject(new TargetError(`could not run \`${command}\`: ${decodeError(frame.payload).message}`)))
          }
        },
        onFail: (error) => settle(() => reject(error)),
      })
      if (id === undefined) return
      // The guest kills the command's process group; its EXIT then only frees the id.
      timer = setTimeout(() => {
        settle(() => reject(new TargetError(`\`${command}\` timed out after ${timeout} ms and was killed`, {
          hint: 'pass a longer { timeout } to exec, or make the command finish sooner',
        })))
        this.#send({ id, type: FrameType.Cancel, payload: new Uint8Array() })
      }, timeout)
    })
  }

  /** A file streamed in DATA chunks; each iteration is a fresh READ, and stopping early cancels it. */
  read(path: string): AsyncIterable<Uint8Array> {
    return { [Symbol.asyncIterator]: () => this.#openRead(path) }
  }

  write(path: string, data: Uint8Array): Promise<void> {
    return this.#simple(path, FrameType.Write, payload.write(path, data))
  }

  /** Resolves when `path` can be opened for reading; rejects as a READ of it would. */
  stat(path: string): Promise<void> {
    return this.#simple(path, FrameType.Stat, payload.text(path))
  }

  #simple(path: string, type: number, body: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#start(type, body, {
        onFrame: (frame) => {
          if (frame.type === FrameType.Done) resolve()
          else if (frame.type === FrameType.Error) reject(fileError(path, frame.payload))
        },
        onFail: reject,
      })
    })
  }

  #openRead(path: string): AsyncIterator<Uint8Array> {
    const chunks: Uint8Array[] = []
    let ended = false
    let error: Error | undefined
    let wake: (() => void) | undefined
    let unacked = 0
    const id = this.#start(FrameType.Read, payload.read(path, READ_WINDOW), {
      onFrame: (frame) => {
        if (frame.type === FrameType.Data) chunks.push(frame.payload)
        else if (frame.type === FrameType.Done) ended = true
        else if (frame.type === FrameType.Error) error = fileError(path, frame.payload)
        wake?.()
      },
      onFail: (failure) => {
        error = failure
        wake?.()
      },
    })
    return {
      next: async () => {
        while (chunks.length === 0 && !ended && !error) await new Promise<void>((resolve) => (wake = resolve))
        const chunk = chunks.shift()
        if (chunk) {
          // Acks go in batches: one per chunk would double the frames on the port.
          unacked += chunk.length
          if (unacked >= READ_WINDOW / 4 && !ended && !error && id !== undefined) {
            this.#send({ id, type: FrameType.Ack, payload: payload.ack(unacked) })
            unacked = 0
          }
          return { value: chunk, done: false }
        }
        if (error) throw error
        return { value: undefined, done: true }
      },
      return: async () => {
        if (!ended && !error && id !== undefined) this.#send({ id, type: FrameType.Cancel, payload: new Uint8Array() })
        ended = true
        chunks.length = 0
        return { value: undefined, done: true }
      },
    }
  }

  /** Sends a request and registers its handler; undefined (and onFail already called) when the transport is gone. */
  #start(type: number, body: Uint8Array, pending: Pending): number | undefined {
    if (this.#failure) {
      pending.onFail(this.#failure)
      return undefined
    }
    const id = (this.#nextId = nextFreeId(this.#nextId, this.#pending))
    this.#pending.set(id, pending)
    this.#send({ id, type, payload: body })
    return id
  }
}

/** ERROR of a file request as the error class the core expects: missing, forbidden, or other. */
function fileError(path: string, bytes: Uint8Array): Error {
  const failure = decodeError(bytes)
  if (failure.errno === Errno.ENOENT) return new FileMissingError(path)
  if (failure.errno === Errno.EACCES || failure.errno === Errno.EPERM) return new PermissionError(path)
  return new TargetError(failure.message)
}
