import { readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../../io/atomic.js'

/**
 * Who owns a running QEMU, written beside its console log. A host process that was SIGKILLed
 * before its guest booted leaves a QEMU no agent will power off; the next run finds the record,
 * sees the owner gone and kills the QEMU.
 */
export interface VmRecord {
  qemuPid: number
  ownerPid: number
  /** The owner's start time (clock ticks since boot), so a recycled pid is not taken for the owner. */
  ownerStart: string | undefined
  /** The VM's socket directory: also in QEMU's command line, which proves the pid is still that QEMU. */
  runDir: string
}

const RECORD = 'owner.json'
/** Finished VMs whose console logs are kept for a look after the run. */
const KEEP_FINISHED = 5

export function recordVm(vmDir: string, record: VmRecord): Promise<void> {
  return writeFileAtomic(join(vmDir, RECORD), JSON.stringify(record))
}

/** The VM ended cleanly: its log stays (until pruned), its ownership record goes. */
export function releaseVm(vmDir: string): Promise<void> {
  return rm(join(vmDir, RECORD), { force: true })
}

export async function processStart(pid: number | 'self'): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  // Field 22 (starttime); the command name (field 2) may hold spaces and parentheses.
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
}

/** Kills QEMUs whose owner died, and prunes the logs of old finished VMs. Returns the pids killed. */
export async function killStaleVms(vmsDir: string): Promise<number[]> {
  const names = await readdir(vmsDir).catch(() => [] as string[])
  const killed: number[] = []
  const finished: string[] = []
  for (const name of names) {
    const dir = join(vmsDir, name)
    const text = await readFile(join(dir, RECORD), 'utf8').catch(() => undefined)
    if (text === undefined) {
      finished.push(name)
      continue
    }
    const record = JSON.parse(text) as VmRecord
    if (await ownerAlive(record)) continue
    const cmdline = await readFile(`/proc/${record.qemuPid}/cmdline`, 'utf8').catch(() => '')
    if (cmdline.includes(record.runDir)) {
      process.kill(record.qemuPid, 'SIGKILL')
      killed.push(record.qemuPid)
    }
    await rm(record.runDir, { recursive: true, force: true })
    await releaseVm(dir)
    finished.push(name)
  }
  // Names start with the start time in ms, so sorting puts the newest last.
  const old = finished.sort().slice(0, Math.max(0, finished.length - KEEP_FINISHED))
  await Promise.all(old.map((name) => rm(join(vmsDir, name), { recursive: true, force: true })))
  return killed
}

async function ownerAlive(record: VmRecord): Promise<boolean> {
  try {
    process.kill(record.ownerPid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'
  }
  return record.ownerStart === undefined || (await processStart(record.ownerPid)) === record.ownerStart
}
