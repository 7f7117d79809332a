import { afterEach, describe, expect, it, vi } from 'vitest'
import { TargetError } from '../../../src/errors.js'
import { attachChannel } from '../../../src/target/qemu/channel.js'
import { AgentHub } from '../../../src/target/qemu/hub.js'
import { FrameType, type Frame } from '../../../src/target/qemu/protocol.js'

const exec = (id: number): Frame => ({ id, type: FrameType.Exec, payload: Buffer.from('true') })
const exit = (id: number): Frame => ({ id, type: FrameType.Exit, payload: Uint8Array.of(0, 0, 0, 0, 0) })

function setup() {
  const toAgent: Frame[] = []
  const hub = new AgentHub((frame) => toAgent.push(frame))
  const delivered: Frame[][] = [[], []]
  const ports = delivered.map((inbox) => hub.attach({ deliver: (frame) => inbox.push(frame), fail: () => {} }))
  return { hub, toAgent, delivered, ports }
}

describe('agent hub', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('gives clients hub-wide ids and hands answers back under their own', () => {
    const { hub, toAgent, delivered, ports } = setup()
    ports[0]!.send(exec(1))
    ports[1]!.send(exec(1))
    expect(toAgent.map((frame) => frame.id)).toEqual([1, 2])
    hub.receive(exit(2))
    hub.receive(exit(1))
    expect(delivered.map((inbox) => inbox.map((frame) => frame.id))).toEqual([[1], [1]])
    // The ids are free again; a late CANCEL for a finished request goes nowhere.
    ports[0]!.send({ id: 1, type: FrameType.Cancel, payload: new Uint8Array() })
    expect(toAgent).toHaveLength(2)
  })

  it('cancels what a client leaves running when it detaches', () => {
    const { toAgent, ports } = setup()
    ports[0]!.send(exec(7))
    ports[0]!.detach()
    expect(toAgent.at(-1)).toMatchObject({ id: 1, type: FrameType.Cancel })
  })

  it('pings a quiet agent while requests are open, and stops when none are', () => {
    vi.useFakeTimers()
    const { hub, toAgent, ports } = setup()
    const pings = () => toAgent.filter((frame) => frame.type === FrameType.Ping).length
    vi.advanceTimersByTime(1_000)
    expect(pings()).toBe(0)
    ports[0]!.send(exec(1))
    vi.advanceTimersByTime(1_000)
    expect(pings()).toBeGreaterThanOrEqual(8)
    hub.receive(exit(1))
    const before = pings()
    vi.advanceTimersByTime(1_000)
    expect(pings()).toBe(before)
  })

  it('fails the requests of a channel that was detached instead of leaving them waiting', async () => {
    const { hub, toAgent } = setup()
    const { channel, detach } = attachChannel(hub)
    const open = channel.exec('sleep 10', 60_000)
    detach()
    await expect(open).rejects.toBeInstanceOf(TargetError)
    await expect(channel.exec('true', 60_000)).rejects.toThrow(/this target was closed/)
    expect(toAgent.at(-1)).toMatchObject({ type: FrameType.Cancel })
  })
})
