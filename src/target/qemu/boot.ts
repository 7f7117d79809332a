import { randomBytes } from 'node:crypto'
import { rm, stat } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { VmError } from '../../errors.js'
import { privateDir, privateTempDir } from '../../io/cache-dir.js'
import { initFailure, vmFailure } from './console.js'
import { attachDevices, type DevicePlan } from './devices.js'
import { linkAgent, type AgentLink } from './link.js'
import { describeVcpus, vcpuStates } from './monitor.js'
import { describeExit, exitWithin, qemuArgs, spawnQemu, type QemuExit, type QemuLaunch, type QemuProcess } from './qemu.js'
import { processStart, recordVm, releaseVm } from './stale.js'

export interface BootAttempt {
  launch: Omit<QemuLaunch, 'consoleLog' | 'agentSocket' | 'monitorSocket' | 'devices'>
  /** Shares and disks; each attempt formats fresh disk images in its own run dir. */
  devices?: DevicePlan
  /** Where each VM gets a directory for its console log and ownership record. */
  vmsDir: string
  /** Milliseconds from starting QEMU to the agent's HELLO. */
  timeout: number
}

/**
 * A booting guest prints to its console every second or so of its own time, even on a host so
 * loaded that the whole boot takes 50 s (measured here with 3 VMs and a kernel build on 2 cores),
 * and init's work between the last kernel line and HELLO takes a few seconds. 30 s of silence is
 * a hung boot, not a slow one.
 */
const STALL_TIMEOUT = 30_000
const STALL_POLL = 1_000

/** A guest whose agent said HELLO, with the hub already sharing its connection. */
export interface BootedVm {
  qemu: QemuProcess
  link: AgentLink
  bootMs: number
  /** Private socket directory (short path: unix socket paths are limited to ~107 bytes). */
  runDir: string
  vmDir: string
  consoleLog: string
  /** QEMU's end of the agent port; ending it is the guest's cue to power off. */
  agent: Socket
}

/**
 * Starts QEMU and waits for the agent's HELLO, which is the one sign that kernel, init and agent
 * all work. Whatever goes wrong first (QEMU exits, the timeout passes, the connection breaks)
 * kills QEMU and becomes a VmError carrying QEMU's stderr and the console tail.
 */
export async function bootVm(attempt: BootAttempt): Promise<BootedVm> {
  const started = performance.now()
  const vmDir = join(attempt.vmsDir, `${Date.now()}-${randomBytes(3).toString('hex')}`)
  await privateDir(vmDir)
  const consoleLog = join(vmDir, 'console.log')
  // 0700: the agent's and the broker's sockets are the guest's root shell; no other user may reach them.
  const runDir = await privateTempDir('page-budget-vm-')
  const devices = attempt.devices
    ? await attachDevices(attempt.devices, runDir).catch(async (error: unknown) => {
        await rm(runDir, { recursive: true, force: true })
        throw error
      })
    : []
  const monitorSocket = join(runDir, 'monitor.sock')
  const qemu = spawnQemu(qemuArgs({ ...attempt.launch, consoleLog, agentSocket: join(runDir, 'agent.sock'), monitorSocket, devices }))
  await recordVm(vmDir, { qemuPid: qemu.pid, ownerPid: process.pid, ownerStart: await processStart('self'), runDir })

  const fail = async (message: string, hint?: string): Promise<VmError> => {
    qemu.kill()
    await qemu.exited
    await rm(runDir, { recursive: true, force: true })
    await releaseVm(vmDir)
    return vmFailure(message, { consoleLog, stderr: qemu.stderr(), hint })
  }
  const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`
  let timer: NodeJS.Timeout | undefined
  const quiet = new AbortController()
  const outcome = await Promise.race([
    connectAgent(join(runDir, 'agent.sock'), qemu).then((link) => ({ kind: 'link' as const, link })),
    qemu.exited.then((exit) => ({ kind: 'exited' as const, exit })),
    new Promise<{ kind: 'timeout' }>((resolve) => (timer = setTimeout(() => resolve({ kind: 'timeout' }), attempt.timeout))),
    consoleSilence(consoleLog, STALL_TIMEOUT, quiet.signal).then(() => ({ kind: 'stalled' as const })),
  ]).finally(() => {
    clearTimeout(timer)
    quiet.abort()
  })

  const exitedEarly = async (exit: QemuExit): Promise<VmError> => {
    // The guest init powers off after saying what failed (a share, a disk, swap): lead with that.
    const init = await initFailure(consoleLog)
    return init
      ? fail(`the guest init failed: ${init.problem} (QEMU exited: ${describeExit(exit)})`, init.fix)
      : fail(`QEMU exited during boot (${describeExit(exit)}) before the guest agent answered`)
  }
  if (outcome.kind === 'exited') throw await exitedEarly(outcome.exit)
  if (outcome.kind === 'timeout' || outcome.kind === 'stalled') {
    // Asked before QEMU is killed: where the vCPUs are is the one clue a silent console leaves.
    const vcpus = await vcpuStates(monitorSocket, attempt.launch.kernel)
    const where = vcpus?.length ? `; ${describeVcpus(vcpus)}` : ''
    throw await (outcome.kind === 'stalled'
      ? fail(`the boot stalled: the console printed nothing for ${seconds(STALL_TIMEOUT)} and the guest agent never answered (${attempt.launch.accel})${where}`,
          'the console tail shows where the kernel stopped; a vCPU spinning while another is halted waits for an interrupt that never came')
      : fail(`the guest agent did not answer within ${seconds(attempt.timeout)} of starting QEMU (${attempt.launch.accel})${where}`,
          'the console tail shows how far the boot got; a slow machine may need a longer bootTimeout'))
  }
  if ('error' in outcome.link) {
    const exit = await exitWithin(qemu, 2_000)
    throw await (exit ? exitedEarly(exit) : fail(`the guest's agent connection broke during boot: ${outcome.link.error.message}`))
  }
  const { agent, ...link } = outcome.link
  return { qemu, runDir, vmDir, consoleLog, bootMs: performance.now() - started, agent, link }
}

/** Resolves once the console log has not grown for `ms`; never, if aborted first. */
async function consoleSilence(consoleLog: string, ms: number, signal: AbortSignal): Promise<void> {
  let size = -1
  let since = performance.now()
  while (!signal.aborted) {
    const now = (await stat(consoleLog).catch(() => undefined))?.size ?? 0
    if (now !== size) [size, since] = [now, performance.now()]
    else if (performance.now() - since >= ms) return
    await sleep(STALL_POLL, undefined, { signal }).catch(() => undefined)
  }
  return new Promise(() => {})
}

type Link = AgentLink & { agent: Socket }

/**
 * Connects to QEMU's end of the agent port (QEMU creates the socket a moment after it starts)
 * and resolves at HELLO, or with the error that ended the connection first. Gives up when QEMU
 * exits; the caller reports that.
 */
async function connectAgent(path: string, qemu: QemuProcess): Promise<Link | { error: Error }> {
  let exit: QemuExit | undefined
  void qemu.exited.then((value) => (exit = value))
  for (;;) {
    const socket = await new Promise<Socket | undefined>((resolve) => {
      const attempt = connect(path)
      attempt.once('connect', () => resolve(attempt))
      attempt.once('error', () => resolve(undefined))
    })
    if (socket) return linkAgent(socket, socket).then((link) => ('error' in link ? link : { ...link, agent: socket }))
    if (exit) return new Promise(() => {})
    await sleep(20)
  }
}
