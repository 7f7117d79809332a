import { existsSync, readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { dirname, join } from 'node:path'

/**
 * QEMU's human monitor (HMP) on a unix socket, asked one thing: where each vCPU is. A boot that
 * stalls leaves a console that stops mid-line and says nothing of why; the vCPUs' instruction
 * pointers, named from the kernel's System.map, say whether the guest spins (in
 * `multi_cpu_stop`, `smp_call_function_many_cond`: waiting for another CPU) or sleeps (halted in
 * the idle loop: waiting for an interrupt that never came).
 */

export interface VcpuState {
  index: number
  halted: boolean
  /** The instruction pointer, as QEMU prints it (hex, no 0x). */
  rip: string
  /** `function+0xoff`, when a System.map was found and the address is in the kernel. */
  symbol?: string
}

/** How long the monitor may take to answer: it runs in QEMU's main loop, not on the stalled vCPUs. */
const MONITOR_TIMEOUT_MS = 5_000
const PROMPT = '(qemu) '

/** Every vCPU's state, or undefined when the monitor does not answer (QEMU gone or wedged). */
export async function vcpuStates(socketPath: string, kernelImage: string): Promise<VcpuState[] | undefined> {
  const text = await ask(socketPath, 'info registers -a')
  if (text === undefined) return undefined
  const states = parseRegisters(text)
  const map = systemMapFor(kernelImage)
  return map ? states.map((state) => ({ ...state, symbol: symbolize(map, state.rip) })) : states
}

/** `vCPU 0 running at multi_cpu_stop+0x9c; vCPU 1 halted at default_idle+0x13`, for an error message. */
export function describeVcpus(states: readonly VcpuState[]): string {
  return states.map((s) => `vCPU ${s.index} ${s.halted ? 'halted' : 'running'} at ${s.symbol ?? `0x${s.rip}`}`).join('; ')
}

/**
 * `info registers -a` prints, per vCPU, a `CPU#N` line, then registers: `RIP=ffffffff81c3a2e1 …
 * HLT=1` says where it is and whether it waits in HLT.
 */
export function parseRegisters(text: string): VcpuState[] {
  const states: VcpuState[] = []
  for (const block of text.split(/^CPU#/m).slice(1)) {
    const index = Number(/^(\d+)/.exec(block)?.[1])
    const rip = /\bRIP=([0-9a-f]+)/.exec(block)?.[1]
    if (!Number.isInteger(index) || rip === undefined) continue
    states.push({ index, rip, halted: /\bHLT=1\b/.test(block) })
  }
  return states
}

/** The kernel's text symbols, sorted by address. */
export interface SymbolMap {
  addresses: bigint[]
  names: string[]
}

/**
 * The System.map beside the image: page-budget's cache keeps one next to each bzImage; a build
 * directory has it at its top, three levels above arch/x86/boot/bzImage.
 */
function systemMapFor(kernelImage: string): SymbolMap | undefined {
  const dir = dirname(kernelImage)
  const path = [join(dir, 'System.map'), join(dir, '../../../System.map')].find((candidate) => existsSync(candidate))
  return path ? parseSystemMap(readFileSync(path, 'utf8')) : undefined
}

/** `ffffffff81000000 T _text` lines; text symbols (t, T) only, as an instruction pointer is in text. */
export function parseSystemMap(text: string): SymbolMap {
  const entries: Array<[bigint, string]> = []
  for (const line of text.split('\n')) {
    const [address, type, name] = line.split(' ')
    if (name && (type === 't' || type === 'T')) entries.push([BigInt(`0x${address}`), name])
  }
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return { addresses: entries.map((e) => e[0]), names: entries.map((e) => e[1]) }
}

/** The text symbol at or below the address, or undefined outside the kernel (firmware, user space). */
export function symbolize(map: SymbolMap, rip: string): string | undefined {
  const address = BigInt(`0x${rip}`)
  let [low, high] = [0, map.addresses.length - 1]
  if (high < 0 || address < map.addresses[0]!) return undefined
  while (low < high) {
    const mid = (low + high + 1) >> 1
    if (map.addresses[mid]! <= address) low = mid
    else high = mid - 1
  }
  // Past the last symbol is past the kernel's text (`_etext` is the last one the map lists).
  if (low === map.addresses.length - 1) return undefined
  return `${map.names[low]}+0x${(address - map.addresses[low]!).toString(16)}`
}

/** Sends one HMP command and returns what it printed, between its echo and the next prompt. */
function ask(socketPath: string, command: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(socketPath)
    let text = ''
    let sent = false
    const done = (value: string | undefined): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(value)
    }
    const timer = setTimeout(() => done(undefined), MONITOR_TIMEOUT_MS)
    socket.on('error', () => done(undefined))
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8')
      // The banner ends with the first prompt; the answer ends with the second.
      if (!sent && text.includes(PROMPT)) {
        sent = true
        text = ''
        socket.write(`${command}\n`)
      } else if (sent && text.includes(PROMPT)) {
        done(text.slice(0, text.lastIndexOf(PROMPT)).replace(/\r/g, ''))
      }
    })
  })
}
