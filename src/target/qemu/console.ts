import { open } from 'node:fs/promises'
import { GuestKernelError, VmError } from '../../errors.js'
import { KILL_LINE } from '../oom.js'

/** Enough of the guest's console to show a panic or an init failure, without the whole boot. */
const TAIL_LINES = 30
const TAIL_BYTES = 16 * 1024

/** The last lines of the console log (ttyS0), or '' when it cannot be read. */
export async function consoleTail(path: string, lines = TAIL_LINES, bytes = TAIL_BYTES): Promise<string> {
  try {
    const file = await open(path, 'r')
    try {
      const { size } = await file.stat()
      const length = Math.min(size, bytes)
      const { buffer, bytesRead } = await file.read(Buffer.alloc(length), 0, length, size - length)
      // Serial consoles end lines with \r\n.
      return buffer.subarray(0, bytesRead).toString('utf8').replace(/\r/g, '').trimEnd().split('\n').slice(-lines).join('\n')
    } finally {
      await file.close()
    }
  } catch {
    return ''
  }
}

/**
 * A VmError whose message carries QEMU's stderr and the console tail, which usually say why;
 * a GuestKernelError when the console shows the kernel panicked or oopsed on the way.
 */
export async function vmFailure(message: string, context: { consoleLog: string; stderr: string; hint?: string; cause?: unknown }): Promise<VmError> {
  const quote = (text: string): string => text.split('\n').map((line) => `  | ${line}`).join('\n')
  const stderr = context.stderr.trim()
  const fault = findFault(await consoleTail(context.consoleLog, FAULT_LINES))
  if (fault) return new GuestKernelError(fault.kind, fault.report, context.consoleLog, message)
  const tail = await consoleTail(context.consoleLog)
  const parts = [message]
  if (stderr) parts.push(`QEMU said:\n${quote(stderr.split('\n').slice(-TAIL_LINES).join('\n'))}`)
  parts.push(tail ? `console (end of ${context.consoleLog}):\n${quote(tail)}` : `the console log ${context.consoleLog} is empty`)
  return new VmError(parts.join('\n'), { hint: context.hint, cause: context.cause })
}

/** What guest/init printed before it powered off: `page-budget init: PROBLEM`, then maybe `page-budget init: fix: FIX`. */
export async function initFailure(consoleLog: string): Promise<{ problem: string; fix: string | undefined } | undefined> {
  const lines = (await consoleTail(consoleLog, 200, 64 * 1024)).split('\n')
  let problem: string | undefined
  let fix: string | undefined
  for (const line of lines) {
    const said = /page-budget init: (.*)$/.exec(line)?.[1]?.trim()
    if (said === undefined) continue
    if (said.startsWith('fix: ')) fix = said.slice(5)
    else [problem, fix] = [said, undefined]
  }
  return problem === undefined ? undefined : { problem, fix }
}

/** How much of a fault report to keep: an oops with its registers and call trace fits. */
const FAULT_LINES = 60
/** How often the console is scanned for faults, and how long a report may take to finish. */
const WATCH_INTERVAL_MS = 250
const REPORT_GRACE_MS = 750

/**
 * The first line of each kind of kernel fault report, as printk writes it. A BUG line such as
 * `BUG: kernel NULL pointer dereference` comes before its `Oops:` line and names it first.
 */
const FAULTS: ReadonlyArray<readonly [GuestKernelError['kind'], RegExp]> = [
  ['panic', /^Kernel panic - not syncing/],
  ['soft-lockup', /BUG: soft lockup/],
  ['hung-task', /^INFO: task .+ blocked for more than \d+ seconds/],
  ['rcu-stall', /^rcu: INFO: \S+ (?:self-)?detected stalls?/],
  ['oops', /^Oops: /],
  ['bug', /^(?:BUG: |kernel BUG at )/],
]

export interface KernelFault {
  kind: GuestKernelError['kind']
  /** From the fault's first line on, without printk's time stamps. */
  report: string
}

/** The first kernel fault report in console text, if any. */
export function findFault(text: string): KernelFault | undefined {
  const lines = text.split('\n').map((line) => line.replace(/\r$/, '').replace(/^\[\s*\d+\.\d+\]\s?/, ''))
  for (const [index, line] of lines.entries()) {
    const kind = FAULTS.find(([, pattern]) => pattern.test(line))?.[0]
    if (!kind) continue
    // "System is deadlocked on memory" follows an OOM kill that freed too little (tmpfs pages
    // stay): the kill names what filled memory, so it leads the report.
    const kill = /deadlocked on memory|no killable processes/.test(line) ? lines.slice(0, index).findLast((earlier) => KILL_LINE.test(earlier)) : undefined
    return { kind, report: [...(kill ? [kill] : []), ...lines.slice(index, index + FAULT_LINES)].join('\n').trimEnd() }
  }
  return undefined
}

/**
 * Watches a running guest's console for a kernel fault: an oops or a BUG may leave the VM
 * running, but nothing it measures afterwards can be trusted, so the VM's tests must stop at
 * once with the report rather than time out later. `onFault` is called once, a moment after
 * the first line, so that the report has been written out.
 */
export function watchConsole(path: string, onFault: (fault: KernelFault) => void): { stop(): void } {
  let offset = 0
  let pending = ''
  /** Whole console lines from the chunk where a fault first showed, once one has. */
  let report: string | undefined
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  const scan = async (): Promise<void> => {
    const file = await open(path, 'r').catch(() => undefined)
    if (!file) return
    try {
      const { size } = await file.stat()
      if (size <= offset) return
      const { buffer, bytesRead } = await file.read(Buffer.alloc(size - offset), 0, size - offset, offset)
      offset += bytesRead
      const text = pending + buffer.subarray(0, bytesRead).toString('utf8')
      const cut = text.lastIndexOf('\n') + 1
      pending = text.slice(cut)
      const lines = text.slice(0, cut)
      // Lines before a fault are let go, so a long run's console is scanned once, chunk by chunk.
      if (report !== undefined) report += lines
      else if (findFault(lines)) report = lines
    } finally {
      await file.close()
    }
  }
  const tick = async (): Promise<void> => {
    await scan()
    if (stopped) return
    if (report !== undefined) {
      timer = setTimeout(() => void scan().then(() => !stopped && onFault(findFault(report!)!)), REPORT_GRACE_MS)
      return
    }
    timer = setTimeout(() => void tick(), WATCH_INTERVAL_MS)
  }
  timer = setTimeout(() => void tick(), WATCH_INTERVAL_MS)
  return {
    stop() {
      stopped = true
      clearTimeout(timer)
    },
  }
}
