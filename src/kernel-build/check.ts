import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { UnsupportedKernelError } from '../errors.js'
import { parseConfig } from './kconfig.js'

/** What breaks without an option: the VM does not boot, page_owner cannot be read, or one feature is gone. */
type Need = 'boot' | 'page_owner' | 'feature'

/**
 * The options page-budget's QEMU target relies on, each with what happens without it. Boot and
 * page_owner needs fail every test; a missing feature fails only the tests that use it.
 */
const NEEDS: ReadonlyArray<{ options: readonly string[]; need: Need; without: string }> = [
  { options: ['64BIT'], need: 'boot', without: 'not a 64-bit kernel: QEMU boots x86_64 here' },
  { options: ['PRINTK', 'TTY', 'SERIAL_8250', 'SERIAL_8250_CONSOLE'], need: 'boot', without: 'no serial console: a failed boot says nothing' },
  { options: ['BLK_DEV_INITRD', 'RD_GZIP'], need: 'boot', without: 'no gzip initramfs support: the guest init and agent never start' },
  { options: ['DEVTMPFS', 'PROC_FS', 'PROC_SYSCTL', 'SYSFS', 'BINFMT_ELF', 'BINFMT_SCRIPT', 'MULTIUSER', 'FUTEX', 'POSIX_TIMERS'], need: 'boot', without: 'the guest init (busybox) cannot run' },
  { options: ['PCI', 'VIRTIO', 'VIRTIO_PCI', 'VIRTIO_CONSOLE'], need: 'boot', without: 'no virtio console: the agent has no channel to the host' },
  { options: ['SHMEM', 'TMPFS'], need: 'boot', without: 'no tmpfs: the guest init mounts /tmpfs for workloads' },
  { options: ['ACPI'], need: 'boot', without: 'no ACPI power-off: the VM cannot end when the run does' },
  { options: ['DEBUG_FS'], need: 'page_owner', without: 'no debugfs: the page_owner files are not there' },
  { options: ['PAGE_OWNER', 'STACKTRACE'], need: 'page_owner', without: 'page_owner is not built' },
  { options: ['KALLSYMS', 'KALLSYMS_ALL'], need: 'page_owner', without: 'frames print as addresses, so selectors by function name match nothing' },
  { options: ['SWAP', 'ZRAM'], need: 'feature', without: "no zram swap: the target's `swap` option and swap tests fail" },
  { options: ['CGROUPS', 'MEMCG'], need: 'feature', without: 'no memory.reclaim: pageOwner.reclaim() fails' },
  { options: ['MAGIC_SYSRQ'], need: 'feature', without: 'no sysrq: tests that crash the guest on purpose fail' },
]

export interface KernelCheck {
  /** Where the .config came from. */
  config: string
  missing: Array<{ option: string; need: Need; without: string }>
}

/**
 * The .config of a kernel given as a build directory or a bzImage: the build directory's
 * .config, or the `config` page-budget's cache keeps beside each bzImage, or the .config of the
 * build directory a bzImage sits in (arch/x86/boot/bzImage).
 */
export function findKernelConfig(path: string): string | undefined {
  const full = resolve(path)
  const candidates = isDirectory(full)
    ? [join(full, '.config')]
    : [join(dirname(full), 'config'), join(dirname(full), '.config'), join(full, '../../../../.config')]
  return candidates.map((candidate) => resolve(candidate)).find((candidate) => existsSync(candidate))
}

/** The bzImage of a build directory (or the path itself, when it is one). */
export function kernelImage(path: string): string {
  const full = resolve(path)
  return isDirectory(full) ? join(full, 'arch/x86/boot/bzImage') : full
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory()
}

/** What a kernel lacks, option by option, from its .config. */
export function checkKernelConfig(configPath: string): KernelCheck {
  const options = parseConfig(readFileSync(configPath, 'utf8'))
  const missing = NEEDS.flatMap(({ options: names, need, without }) =>
    names.filter((name) => !['y', 'm'].includes(options.get(`CONFIG_${name}`) ?? 'n')).map((name) => ({ option: `CONFIG_${name}`, need, without })),
  )
  return { config: configPath, missing }
}

/** The check as lines for people: `CONFIG_X  boot: what breaks`, or that nothing is missing. */
export function formatKernelCheck(check: KernelCheck): string[] {
  if (check.missing.length === 0) return [`${check.config}: has every option page-budget's QEMU target uses`]
  const width = Math.max(...check.missing.map((m) => m.option.length))
  return [`${check.config} lacks:`, ...check.missing.map((m) => `  ${m.option.padEnd(width)}  ${m.need}: ${m.without}`)]
}

/**
 * Refuses, before booting, a kernel whose .config shows it cannot boot as a test VM: a named
 * error beats a boot that hangs until the timeout. (Without page_owner it boots, and the probe
 * says which of not built, not enabled or no debugfs it is.)
 */
export function assertBootable(kernel: string): void {
  const config = findKernelConfig(kernel)
  if (!config) return
  const fatal = checkKernelConfig(config).missing.filter((m) => m.need === 'boot')
  if (fatal.length === 0) return
  throw new UnsupportedKernelError(
    `${kernel} cannot serve as page-budget's test VM (from ${config}):\n${fatal.map((m) => `  ${m.option}: ${m.without}`).join('\n')}`,
    `rebuild with the recipe: page-budget kernel build --source <tree> (it merges recipe/page-budget.config), or add these options to your config`,
  )
}
