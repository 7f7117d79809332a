import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VmError } from '../../../src/errors.js'
import { startBroker, type Broker } from '../../../src/target/qemu/broker.js'
import { connectVm } from '../../../src/target/qemu/client.js'
import { tempDir } from '../../helpers.js'
import { startHostAgent, type HostAgent } from './host-agent.js'

describe('broker: other processes share the agent through a unix socket', () => {
  let agent: HostAgent
  let broker: Broker
  const socketPath = join(tempDir('page-budget-broker-'), 'broker.sock')

  beforeAll(async () => {
    agent = await startHostAgent()
    broker = await startBroker(agent.hub, socketPath, { ...agent.hello, description: 'qemu test (tcg, 64 MiB)' })
  }, 60_000)
  afterAll(async () => {
    await broker.close()
    agent.child.kill('SIGKILL')
  })

  it('gives each client a Target described as the VM describes itself', async () => {
    const target = await connectVm(socketPath)
    expect(target.description).toBe('qemu test (tcg, 64 MiB)')
    expect(await target.exists('version')).toBe(true)
    await target.close()
  })

  it('keeps concurrent clients apart although their request ids coincide', async () => {
    const clients = await Promise.all([connectVm(socketPath), connectVm(socketPath), connectVm(socketPath)])
    const results = await Promise.all(
      clients.flatMap((client, c) => Array.from({ length: 10 }, (_, i) => client.exec!(`sleep 0.0${i}; echo ${c}-${i}`))),
    )
    expect(results.map((r) => r.stdout.trim())).toEqual(clients.flatMap((_, c) => Array.from({ length: 10 }, (_, i) => `${c}-${i}`)))
    // The VM's own process shares the hub with them.
    expect((await agent.channel.exec('echo local', 5_000)).stdout).toBe('local\n')
    await Promise.all(clients.map((client) => client.close()))
  })

  it('reads kernel files through the broker', async () => {
    const target = await connectVm(socketPath)
    let text = ''
    for await (const chunk of target.read('version')) text += Buffer.from(chunk).toString('utf8')
    expect(text).toMatch(/^Linux version /)
    await target.close()
  })

  it('cancels what a client left running when it disconnects', async () => {
    const target = await connectVm(socketPath)
    const pending = target.exec!('sleep 30.6')
    await new Promise((resolve) => setTimeout(resolve, 200))
    await target.close()
    await expect(pending).rejects.toBeInstanceOf(VmError)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect((await execa('pgrep', ['-f', 'sleep 30.6'], { reject: false })).exitCode).toBe(1)
  })

  it('names the socket when there is no VM behind it', async () => {
    await expect(connectVm(join(tempDir(), 'none.sock'))).rejects.toThrow(/cannot reach the page-budget VM at .*none\.sock/)
  })

  // Last: it ends the hub for everyone.
  it('fails open requests of every client with the VM error when the VM goes', async () => {
    const target = await connectVm(socketPath)
    const pending = target.exec!('sleep 30.7')
    await new Promise((resolve) => setTimeout(resolve, 200))
    agent.hub.fail(new VmError('the VM exited (killed by SIGKILL)'))
    await expect(pending).rejects.toThrow(/the VM exited \(killed by SIGKILL\)/)
    await expect(target.exec!('true')).rejects.toBeInstanceOf(VmError)
    await expect(connectVm(socketPath)).rejects.toBeInstanceOf(VmError)
  })
})
