import { execa } from 'execa'
import { VmError } from '../../errors.js'
import type { Accel } from './accel.js'

export const QEMU = 'qemu-system-x86_64'
const INSTALL_HINT = 'apt-get install -y qemu-system-x86'

export interface QemuLaunch {
  kernel: string
  initrd: string
  /** MiB */
  memory: number
  cpus: number
  accel: Accel
  cmdline: string
  consoleLog: string
  agentSocket: string
  /** QEMU's human monitor: asked where the vCPUs are when a boot stalls (monitor.ts). */
  monitorSocket: string
  /** More QEMU arguments: the shares' and disks' devices (devices.ts). */
  devices?: readonly string[]
}

/**
 * A minimal machine: no default devices, the serial console into a file, and the agent's
 * virtio serial port on a unix socket that QEMU serves without waiting for the host (so a
 * host that died before connecting does not stall the boot). -no-reboot turns the guest's
 * reboot or panic (panic=-1) into QEMU exiting.
 *
 * Under TCG the CPU is `max` for RDRAND: the guest's entropy pool is ready at once, where
 * mkswap (pb.swap) would otherwise wait ~2 s for it. TCG steps every vCPU in one host thread
 * (thread=single): a test VM is one of several on a loaded host, where multi-threaded TCG bought
 * nothing. With the host's 2 cores busy, a pipe ping-pong between tasks pinned to the two vCPUs
 * ran 5x faster single-threaded, and boots took as long. The one boot seen to stall in CI was
 * multi-threaded, stopped where one vCPU first waits on the other after SMP bring-up (the
 * clocksource switch's stop_machine); one thread has no cross-thread wakeup to lose.
 */
export function qemuArgs(launch: QemuLaunch): string[] {
  return [
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-accel', launch.accel === 'kvm' ? 'kvm' : 'tcg,thread=single',
    '-cpu', launch.accel === 'kvm' ? 'host' : 'max',
    '-m', String(launch.memory),
    '-smp', String(launch.cpus),
    '-kernel', launch.kernel,
    '-initrd', launch.initrd,
    '-append', launch.cmdline,
    '-chardev', `file,id=console,path=${optionValue(launch.consoleLog)}`,
    '-serial', 'chardev:console',
    '-device', 'virtio-serial-pci',
    '-chardev', `socket,id=pb,path=${optionValue(launch.agentSocket)},server=on,wait=off`,
    '-device', 'virtserialport,chardev=pb,name=page-budget',
    '-monitor', `unix:${optionValue(launch.monitorSocket)},server=on,wait=off`,
    ...(launch.devices ?? []),
  ]
}

/** QEMU splits option strings at commas; a comma inside a value is written twice. */
function optionValue(value: string): string {
  return value.replaceAll(',', ',,')
}

export interface QemuExit {
  code: number | undefined
  signal: string | undefined
}

export function describeExit(exit: QemuExit): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code ?? 'unknown'}`
}

/**
 * How QEMU ended, if it does within `ms`. Its sockets often close a moment before its exit is
 * seen, and the exit (a signal, an abort) says more than the socket's ECONNRESET.
 */
export function exitWithin(qemu: QemuProcess, ms: number): Promise<QemuExit | undefined> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))
  return Promise.race([qemu.exited, late]).finally(() => clearTimeout(timer))
}

/** A running QEMU: its pid, its end, and the tail of what it printed on stderr. */
export interface QemuProcess {
  pid: number
  exited: Promise<QemuExit>
  stderr(): string
  kill(): void
}

/** QEMU's stderr kept for error messages: enough for "Could not access KVM kernel module" and friends. */
const STDERR_BYTES = 8 * 1024

/**
 * Starts QEMU. execa's cleanup kills it with SIGKILL when this process exits for any reason
 * (normal exit, SIGINT, SIGTERM, an uncaught exception); a SIGKILL of this process is covered
 * by the guest agent, which powers the VM off when its socket peer goes away.
 */
export function spawnQemu(args: readonly string[]): QemuProcess {
  const subprocess = execa(QEMU, args, {
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    cleanup: true,
    killSignal: 'SIGKILL',
  })
  let stderr = ''
  subprocess.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_BYTES)
  })
  const exited = subprocess.then((result) => ({ code: result.exitCode, signal: result.signal }))
  if (subprocess.pid === undefined) {
    // No pid: the spawn itself failed (qemuVersion() normally reports a missing QEMU first).
    throw new VmError(`${QEMU} could not be started`, { hint: INSTALL_HINT })
  }
  return {
    pid: subprocess.pid,
    exited,
    stderr: () => stderr,
    kill: () => {
      subprocess.kill('SIGKILL')
    },
  }
}

let version: Promise<string> | undefined

/** `7.2.22`, asked once per process; a missing QEMU is a named error with the package to install. */
export function qemuVersion(): Promise<string> {
  version ??= execa(QEMU, ['--version'], { stdin: 'ignore', reject: false }).then((result) => {
    const found = /version (\d+\.\d+\.\d+)/.exec(result.stdout)?.[1]
    if (result.failed || !found) {
      throw new VmError(`${QEMU} is not installed or does not run (${result.shortMessage})`, { hint: INSTALL_HINT, cause: result })
    }
    return found
  })
  return version
}
