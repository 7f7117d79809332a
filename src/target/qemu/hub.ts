import { FrameType, isTerminal, nextFreeId, type Frame } from './protocol.js'

/** One user of the agent: the VM's own process, or a broker connection from another process. */
export interface HubClient {
  deliver(frame: Frame): void
  fail(error: Error): void
}

/** A client's handle on the hub: its requests in, detach when it goes away. */
export interface HubPort {
  send(frame: Frame): void
  detach(): void
}

interface Route {
  client: HubClient
  localId: number
}

/** How long open requests may go with nothing heard from the agent before it gets a PING. */
const NUDGE_MS = 100

/**
 * Shares the one agent connection between clients that each number their requests from 1.
 * Every request gets a hub-wide id on the way in and its own id back on the way out, so
 * concurrent clients never collide; the mapping lives until the request's terminal frame.
 */
export class AgentHub {
  readonly #toAgent: (frame: Frame) => void
  readonly #routes = new Map<number, Route>()
  readonly #byClient = new Map<HubClient, Map<number, number>>()
  #nextId = 0
  #failure: Error | undefined
  #lastHeard = Date.now()
  #nudger: NodeJS.Timeout | undefined

  constructor(toAgent: (frame: Frame) => void) {
    this.#toAgent = toAgent
  }

  attach(client: HubClient): HubPort {
    if (this.#failure) {
      client.fail(this.#failure)
      return { send: () => {}, detach: () => {} }
    }
    const ids = new Map<number, number>()
    this.#byClient.set(client, ids)
    return {
      send: (frame) => this.#fromClient(client, ids, frame),
      detach: () => {
        // Not attached any more (detached before, or the hub failed): nothing to cancel, no agent to tell.
        if (!this.#byClient.delete(client)) return
        // Whatever the client left running would otherwise hold the guest's attention forever.
        for (const id of ids.values()) this.#toAgent({ id, type: FrameType.Cancel, payload: new Uint8Array() })
      },
    }
  }

  /** A frame from the agent, routed back to the client that asked, under the client's id. */
  receive(frame: Frame): void {
    this.#lastHeard = Date.now()
    const route = this.#routes.get(frame.id)
    if (!route) return
    if (isTerminal(frame.type)) {
      this.#routes.delete(frame.id)
      this.#byClient.get(route.client)?.delete(route.localId)
    }
    // A detached client's requests still run to their terminal frame (which frees the id), unheard.
    if (this.#byClient.has(route.client)) route.client.deliver({ ...frame, id: route.localId })
  }

  /** The agent is gone: every client fails now, and any that attaches later fails at once. */
  fail(error: Error): void {
    clearInterval(this.#nudger)
    this.#failure ??= error
    const clients = [...this.#byClient.keys()]
    this.#byClient.clear()
    this.#routes.clear()
    for (const client of clients) client.fail(error)
  }

  #fromClient(client: HubClient, ids: Map<number, number>, frame: Frame): void {
    if (!this.#byClient.has(client)) return
    let id = ids.get(frame.id)
    if (id === undefined) {
      // Only a new request opens a route; a CANCEL or ACK for a finished one has nowhere to go.
      if (frame.type === FrameType.Cancel || frame.type === FrameType.Ack) return
      id = this.#nextId = nextFreeId(this.#nextId, this.#routes)
      ids.set(frame.id, id)
      this.#routes.set(id, { client, localId: frame.id })
    }
    this.#toAgent({ ...frame, id })
    this.#watch()
  }

  /**
   * QEMU 7.2 under TCG was seen to sleep through a guest's timer interrupts until some fd woke
   * its main loop: a command in the guest stayed runnable but unrun (a `dd` for minutes, one
   * `true` in a few hundred) until the host happened to send the next frame, and for good if
   * none came. Any data arriving on the port is such a wakeup, so while requests are open and
   * the agent has been quiet, it gets a PING (a no-op) every NUDGE_MS.
   */
  #watch(): void {
    if (this.#nudger) return
    this.#nudger = setInterval(() => {
      if (this.#routes.size === 0) {
        clearInterval(this.#nudger)
        this.#nudger = undefined
      } else if (Date.now() - this.#lastHeard >= NUDGE_MS) {
        this.#toAgent({ id: 0, type: FrameType.Ping, payload: new Uint8Array() })
      }
    }, NUDGE_MS)
    this.#nudger.unref()
  }
}
