import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { GuestKernelError, UsageError, VmError } from '../../errors.js'
import { defaultCacheDir, privateDir } from '../../io/cache-dir.js'
import type { Target } from '../types.js'
import { assertBootable, kernelImage } from '../../kernel-build/check.js'
import { planAccel, recordVerdict, type Accel } from './accel.js'
import { bootVm, type BootedVm } from './boot.js'
import { startBroker } from './broker.js'
import { attachChannel } from './channel.js'
import { vmFailure, watchConsole } from './console.js'
import { deviceCmdline, planDevices, type DevicePlan, type DiskOption, type ShareOption } from './devices.js'
import { buildInitramfs } from './image.js'
import { describeExit, exitWithin, qemuVersion } from './qemu.js'
import { killStaleVms, releaseVm } from './stale.js'
import { QemuTarget } from './target.js'

export interface QemuOptions {
  kind: 'qemu'
  /**
   * The kernel to boot: a bzImage, or a build directory (`make O=DIR`; its .config is checked
   * before booting). Default: the kernel `page-budget kernel build` cached for the recipe.
   */
  kernel?: string
  /** Guest RAM in MiB (default 1024). */
  memory?: number
  /** vCPUs (default 2). */
  cpus?: number
  /** zram swap in the guest: MiB as a number, or a size such as '256M' (default: no swap). */
  swap?: number | string
  /** 'auto' (default) uses KVM only once a boot proved it works on this host, TCG otherwise. */
  accel?: 'auto' | Accel
  /** Boot with page_owner=on (default true); false boots a kernel without page_owner data. */
  pageOwner?: boolean
  /**
   * The kernel with page-budget's swap_page_owner patches (`kernel build --swap-page-owner`,
   * recipe/swap-page-owner/), booted with `page_owner=on,swap`: pages keep their owner through
   * swap. Default false; with `kernel`, that kernel is booted with `,swap`.
   */
  swapPageOwner?: boolean
  /** More kernel command line. */
  append?: string
  /**
   * Milliseconds from starting QEMU to the agent's HELLO (default 120 s). A boot whose console
   * stays silent for 30 s fails sooner, as stalled, with where each vCPU was.
   */
  bootTimeout?: number
  /** Root of page-budget's cache (default: the kernel cache root, ~/.cache/page-budget). */
  cacheDir?: string
  /**
   * Host directories shared into the guest over 9p, mounted by the guest init at `guest`
   * (read-only unless `readOnly: false`): `[{ host: 'build/tests', guest: '/work/tests' }]`.
   */
  share?: ShareOption[]
  /**
   * Share the host's / read-only and run every command in it (as virtme-ng does): host programs,
   * dynamically linked ones too, run by their host paths, over the guest's /proc, /sys, /dev,
   * with tmpfs at /tmp, /run and /mnt and the guest's /tmpfs and /tmpfs-noswap. Default false.
   */
  hostRoot?: boolean
  /** virtio-blk disks, formatted on the host for each boot and mounted by the guest init: `[{ size: '256M', fs: 'ext4', mount: '/mnt/ext4' }]`. */
  disks?: DiskOption[]
}

export interface QemuVm {
  /** This process's Target on the guest. Closing it leaves the VM running; stop() ends the VM. */
  target: Target
  /** The broker's unix socket: other processes get a Target with connectVm(socketPath). */
  socketPath: string
  bootId: string
  kernelRelease: string
  pageSize: number
  /** Milliseconds from starting QEMU to the agent's HELLO. */
  bootMs: number
  accel: Accel
  pid: number
  consoleLog: string
  stop(): Promise<void>
}

/**
 * A slow boot, not a hung one (a hung one is caught by its silent console, boot.ts): TCG boots
 * took up to 51 s here with three VMs and a kernel build sharing 2 cores.
 */
const BOOT_TIMEOUT = 120_000
/** An unproven KVM boots this small guest in a second or two, or hangs: no need to wait long. */
const KVM_PROBE_TIMEOUT = 15_000
/** How long stop() lets the guest power itself off before QEMU is killed. */
const STOP_GRACE = 5_000

export async function startVm(options: QemuOptions = { kind: 'qemu' }): Promise<QemuVm> {
  // Kernels, the guest image and the VMs' records live here: no other user may replace them.
  const cacheDir = await privateDir(options.cacheDir ?? defaultCacheDir())
  const vmsDir = join(cacheDir, 'vms')
  const [kernel, version, initrd, devices] = await Promise.all([
    resolveKernel(options, cacheDir), qemuVersion(), buildInitramfs(cacheDir), planDevices(options), killStaleVms(vmsDir),
  ])
  const memory = options.memory ?? 1024
  const cmdline = kernelCmdline(options, devices)
  const attempt = (accel: Accel, timeout: number): Promise<BootedVm> =>
    bootVm({ vmsDir, timeout, devices, launch: { kernel, initrd, memory, cpus: options.cpus ?? 2, accel, cmdline } })

  const timeout = options.bootTimeout ?? BOOT_TIMEOUT
  const plan = await planAccel(options.accel ?? 'auto', cacheDir, version)
  let booted: BootedVm
  let accel: Accel
  if (plan.kind === 'fixed') {
    accel = plan.accel
    booted = await attempt(accel, timeout)
  } else {
    try {
      accel = 'kvm'
      booted = await attempt('kvm', plan.proven ? timeout : Math.min(timeout, KVM_PROBE_TIMEOUT))
      if (!plan.proven) await recordVerdict(cacheDir, version, 'boots', `booted in ${Math.round(booted.bootMs)} ms`)
    } catch (kvmError) {
      accel = 'tcg'
      booted = await attempt('tcg', timeout)
      // Only now is KVM known to be the problem: a kernel that boots nowhere says nothing about it.
      await recordVerdict(cacheDir, version, 'fails', (kvmError as Error).message)
    }
  }
  return runningVm(booted, accel, `qemu ${booted.link.hello.release ?? 'unknown'} (${accel}, ${memory} MiB)`, kernel)
}

/** `console=ttyS0 page_owner=on panic=-1`, the swap size, shares and disks for init, then the caller's additions. */
export function kernelCmdline(options: QemuOptions, devices?: DevicePlan): string {
  const words = ['console=ttyS0']
  if (options.pageOwner ?? true) words.push(options.swapPageOwner ? 'page_owner=on,swap' : 'page_owner=on')
  words.push('panic=-1')
  if (options.swap !== undefined) words.push(`pb.swap=${swapSize(options.swap)}`)
  if (devices) words.push(...deviceCmdline(devices))
  if (options.append) words.push(options.append)
  return words.join(' ')
}

function swapSize(swap: number | string): string {
  if (typeof swap === 'number' && Number.isInteger(swap) && swap > 0) return `${swap}M`
  if (typeof swap === 'string' && /^\d+[KMG]?$/i.test(swap)) return swap.toUpperCase()
  throw new UsageError(`swap: ${JSON.stringify(swap)} is not a size`, { hint: "give MiB as a number (256) or a size with K, M or G ('256M')" })
}

/**
 * The bzImage to boot: the `kernel` option's (a bzImage, or a build directory), refused before
 * booting when its .config shows it cannot boot as the test VM; else the cached test kernel.
 */
async function resolveKernel(options: QemuOptions, cacheDir: string): Promise<string> {
  if (options.kernel) {
    const image = kernelImage(options.kernel)
    if (!existsSync(image)) {
      throw new VmError(`no kernel at ${image}`, { hint: 'pass `kernel` a bzImage, or a kernel build directory (one with arch/x86/boot/bzImage)' })
    }
    assertBootable(options.kernel)
    return image
  }
  // Loaded on demand: the build module brings apt and make helpers that a run with an explicit kernel never needs.
  const { findBuiltKernel } = await import('../../kernel-build/build.js')
  const kernel = findBuiltKernel(cacheDir, { swapPageOwner: options.swapPageOwner ?? false })
  if (!kernel) {
    const build = `page-budget kernel build${options.swapPageOwner ? ' --swap-page-owner' : ''}`
    throw new VmError(`no ${options.swapPageOwner ? 'swap_page_owner ' : ''}test kernel is built in ${cacheDir}/kernels`, {
      hint: `run \`${build}\` once (10 to 17 minutes on 2 cores), or pass { kernel: "/path/to/bzImage" }`,
    })
  }
  return kernel
}

/**
 * Wires a booted guest up: this process's target and the broker share the hub, and whichever
 * way the VM ends (stop(), QEMU exiting, the agent connection breaking) every open request
 * everywhere fails with one VmError that says how it ended.
 */
async function runningVm(booted: BootedVm, accel: Accel, description: string, kernel: string): Promise<QemuVm> {
  const { qemu } = booted
  const { hub, hello } = booted.link
  const socketPath = join(booted.runDir, 'broker.sock')
  const broker = await startBroker(hub, socketPath, { ...hello, description, console_log: booted.consoleLog, kernel_image: kernel })
  let stopping = false
  // An oops or BUG may leave the guest running but untrustworthy: stop it, and fail every
  // request with the report. (A panic ends the VM by itself: panic=-1 and -no-reboot.)
  let fault: GuestKernelError | undefined
  const watcher = watchConsole(booted.consoleLog, ({ kind, report }) => {
    fault = new GuestKernelError(kind, report, booted.consoleLog, `the VM was stopped: ${description}`)
    qemu.kill()
  })

  const ended = (async () => {
    const broken = await Promise.race([booted.link.closed, qemu.exited.then(() => undefined)])
    watcher.stop()
    const exit = await exitWithin(qemu, 2_000)
    if (!exit) qemu.kill()
    const how = exit ? describeExit(exit) : `agent connection lost${broken ? `: ${broken.message}` : ''}`
    const error = stopping
      ? new VmError(`the VM was stopped: ${description}`)
      : fault ?? (await vmFailure(`the VM exited (${how}): ${description}`, { consoleLog: booted.consoleLog, stderr: qemu.stderr() }))
    hub.fail(error)
    await broker.close()
    booted.agent.destroy()
    await qemu.exited
    await rm(booted.runDir, { recursive: true, force: true })
    await releaseVm(booted.vmDir)
  })()

  const { channel, detach } = attachChannel(hub)

  return {
    target: new QemuTarget(channel, description, async () => detach(), booted.consoleLog, kernel),
    socketPath,
    bootId: hello.boot_id ?? 'unknown',
    kernelRelease: hello.release ?? 'unknown',
    pageSize: Number(hello.page_size ?? 4096),
    bootMs: booted.bootMs,
    accel,
    pid: qemu.pid,
    consoleLog: booted.consoleLog,
    async stop() {
      stopping = true
      // Closing the port is the guest's cue to power off (the same path as a crashed host).
      booted.agent.end()
      const timer = setTimeout(() => qemu.kill(), STOP_GRACE)
      await ended
      clearTimeout(timer)
    },
  }
}
