import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { rename } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { attachChannel, type RequestChannel } from '../../../src/target/qemu/channel.js'
import type { AgentHub } from '../../../src/target/qemu/hub.js'
import { AGENT_SOURCE, compileAgent } from '../../../src/target/qemu/image.js'
import { linkAgent } from '../../../src/target/qemu/link.js'

/** guest/agent.c built for this host once per source version, shared by test files. */
export async function hostAgentBinary(): Promise<string> {
  const hash = createHash('sha256').update(readFileSync(AGENT_SOURCE)).digest('hex').slice(0, 12)
  const binary = join(tmpdir(), `page-budget-agent-test-${hash}`)
  if (!existsSync(binary)) {
    const temp = `${binary}.${process.pid}`
    await compileAgent(temp)
    await rename(temp, binary)
  }
  return binary
}

export interface HostAgent {
  child: ChildProcess
  hub: AgentHub
  hello: Record<string, string>
  /** A channel attached to the hub, as the VM's own process has one. */
  channel: RequestChannel
  closed: Promise<Error | undefined>
  exited: Promise<number | null>
}

/** The agent run on the host with --stdio: the same frames as in the guest, over pipes. */
export async function startHostAgent(): Promise<HostAgent> {
  const child = spawn(await hostAgentBinary(), ['--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const link = await linkAgent(child.stdout!, child.stdin!)
  if ('error' in link) throw link.error
  const { channel } = attachChannel(link.hub)
  return { child, hub: link.hub, hello: link.hello, channel, closed: link.closed, exited }
}
