import { stat, truncate, writeFile } from 'node:fs/promises'
import { isAbsolute, join, posix, resolve } from 'node:path'
import { execa } from 'execa'
import { MissingToolError, UsageError, VmError } from '../../errors.js'

/** A host directory seen in the guest over 9p (virtio-9p-pci). */
export interface ShareOption {
  /** Directory on the host; relative paths are resolved from the working directory. */
  host: string
  /** Where the guest init mounts it: an absolute path (created if missing). */
  guest: string
  /** Mount it read-only (default true). The host side is read-only as well (`readonly=on`). */
  readOnly?: boolean
}

/** A virtio-blk disk: a sparse image created and formatted on the host for each boot, mounted by the guest init. */
export interface DiskOption {
  /** Size of the image: MiB as a number, or a size such as '256M' or '1G'. */
  size: number | string
  /** File system the host formats it with (default 'ext4'; mkfs.ext4 from e2fsprogs). */
  fs?: 'ext4'
  /** Where the guest init mounts it: an absolute path (created if missing). */
  mount: string
}

/** What a VM's shares and disks need: checked once before any boot attempt. */
export interface DevicePlan {
  shares: Array<{ host: string; guest: string; readOnly: boolean; tag: string }>
  hostRoot: boolean
  disks: Array<{ bytes: number; fs: 'ext4'; mount: string; serial: string }>
}

export const HOST_ROOT_TAG = 'pbroot'
const MKFS_HINT = 'apt-get install -y e2fsprogs   (npm run setup installs it when run as root)'
const FILE_SYSTEMS = ['ext4'] as const
/**
 * Guest paths that belong to the guest itself: a share or disk mounted over them would hide
 * the guest's own programs, its pseudo file systems or the workload mounts.
 */
const RESERVED = ['/bin', '/sbin', '/usr', '/etc', '/proc', '/sys', '/dev', '/host', '/init', '/newroot']
const RESERVED_EXACT = ['/', '/tmp', '/tmpfs', '/tmpfs-noswap', '/root', '/mnt', '/run']
/** The guest init splits /proc/cmdline at spaces and each word at colons: paths keep to these characters. */
const GUEST_PATH = /^\/[A-Za-z0-9._+@/-]*$/

/**
 * Checks the `share`, `hostRoot` and `disks` options against the host (directories exist,
 * mkfs.ext4 is installed) so that a mistake is a named error before QEMU starts, never a boot
 * that hangs.
 */
export async function planDevices(options: { share?: readonly ShareOption[]; hostRoot?: boolean; disks?: readonly DiskOption[] }): Promise<DevicePlan> {
  const shares = options.share ?? []
  const disks = options.disks ?? []
  if (!Array.isArray(shares)) throw new UsageError('share: expected an array of { host, guest, readOnly? }')
  if (!Array.isArray(disks)) throw new UsageError('disks: expected an array of { size, fs?, mount }')
  const guests: string[] = []
  const plan: DevicePlan = { shares: [], hostRoot: options.hostRoot === true, disks: [] }
  for (const [index, share] of shares.entries()) {
    const what = `share[${index}]`
    if (typeof share?.host !== 'string' || share.host === '') throw new UsageError(`${what}.host: expected a host directory`)
    const host = resolve(share.host)
    const info = await stat(host).catch(() => undefined)
    if (!info) throw new UsageError(`${what}.host: ${host} does not exist on the host`, { hint: 'create the directory first, or fix the path (relative paths are resolved from the working directory)' })
    if (!info.isDirectory()) throw new UsageError(`${what}.host: ${host} is not a directory`, { hint: 'share the directory that holds the file' })
    const guest = guestPath(`${what}.guest`, share.guest, guests)
    plan.shares.push({ host, guest, readOnly: share.readOnly ?? true, tag: `pb${index}` })
  }
  for (const [index, disk] of disks.entries()) {
    const what = `disks[${index}]`
    const fs = disk?.fs ?? 'ext4'
    if (!FILE_SYSTEMS.includes(fs)) {
      throw new UsageError(`${what}.fs: ${JSON.stringify(fs)} is not a file system page-budget can make`, { hint: `use one of ${FILE_SYSTEMS.join(', ')}` })
    }
    plan.disks.push({ bytes: diskBytes(`${what}.size`, disk.size), fs, mount: guestPath(`${what}.mount`, disk.mount, guests), serial: `pbdisk${index}` })
  }
  if (plan.disks.length > 0) await checkMkfs()
  return plan
}

/** Kernel command-line words for guest/init: one per share and disk, and the host root's tag. */
export function deviceCmdline(plan: DevicePlan): string[] {
  return [
    ...(plan.hostRoot ? [`pb.hostroot=${HOST_ROOT_TAG}`] : []),
    ...plan.shares.map((share) => `pb.share=${share.tag}:${share.guest}:${share.readOnly ? 'ro' : 'rw'}`),
    ...plan.disks.map((disk) => `pb.disk=${disk.serial}:${disk.mount}:${disk.fs}`),
  ]
}

/**
 * Creates this boot's disk images in `runDir` (sparse files, formatted by mkfs.ext4 on the host)
 * and returns the QEMU arguments for every share and disk. The images go with the run dir.
 */
export async function attachDevices(plan: DevicePlan, runDir: string): Promise<string[]> {
  const args: string[] = []
  const fsdev = (id: string, path: string, readOnly: boolean, extra = ''): void => {
    args.push('-fsdev', `local,id=${id},path=${optionValue(path)},security_model=none${readOnly ? ',readonly=on' : ''}${extra}`)
    args.push('-device', `virtio-9p-pci,fsdev=${id},mount_tag=${id}`)
  }
  // The host's / spans several file systems (/proc, /boot, ...): remap keeps inode numbers unique.
  if (plan.hostRoot) fsdev(HOST_ROOT_TAG, '/', true, ',multidevs=remap')
  for (const share of plan.shares) fsdev(share.tag, share.host, share.readOnly)
  for (const disk of plan.disks) {
    const image = join(runDir, `${disk.serial}.img`)
    await writeFile(image, '')
    await truncate(image, disk.bytes)
    await mkfs(disk.fs, image)
    // cache=unsafe: the image is thrown away with the VM, so its flushes need not reach the host's disk.
    args.push('-drive', `file=${optionValue(image)},if=none,id=${disk.serial},format=raw,cache=unsafe,discard=unmap`)
    args.push('-device', `virtio-blk-pci,drive=${disk.serial},serial=${disk.serial}`)
  }
  return args
}

function guestPath(what: string, value: unknown, taken: string[]): string {
  if (typeof value !== 'string' || !isAbsolute(value)) throw new UsageError(`${what}: expected an absolute guest path, got ${JSON.stringify(value)}`)
  const path = posix.normalize(value).replace(/(.)\/+$/, '$1')
  if (!GUEST_PATH.test(path)) {
    throw new UsageError(`${what}: ${JSON.stringify(value)} has characters the guest's command line cannot carry`, { hint: 'use letters, digits and . _ + @ - / only' })
  }
  const reserved = RESERVED.find((dir) => path === dir || path.startsWith(`${dir}/`)) ?? RESERVED_EXACT.find((dir) => path === dir)
  if (reserved) {
    throw new UsageError(`${what}: ${path} would hide the guest's own ${reserved}`, { hint: 'mount it elsewhere, e.g. under /mnt or a new top-level directory such as /work' })
  }
  const clash = taken.find((other) => other === path || other.startsWith(`${path}/`) || path.startsWith(`${other}/`))
  if (clash) throw new UsageError(`${what}: ${path} overlaps ${clash}, which another share or disk already uses`, { hint: 'give each share and disk a path of its own, none inside another' })
  taken.push(path)
  return path
}

function diskBytes(what: string, size: unknown): number {
  const units: Record<string, number> = { '': 1 << 20, K: 1 << 10, M: 1 << 20, G: 1 << 30 }
  const match = typeof size === 'string' ? /^(\d+)([KMG]?)$/i.exec(size) : undefined
  const bytes = typeof size === 'number' && Number.isInteger(size) ? size * (1 << 20) : match ? Number(match[1]) * units[match[2]!.toUpperCase()]! : NaN
  // mkfs.ext4 needs a few MiB for its journal and tables; QEMU wants whole 512-byte sectors.
  if (!(bytes >= 8 << 20) || bytes % 512 !== 0) {
    throw new UsageError(`${what}: ${JSON.stringify(size)} is not a disk size of 8 MiB or more`, { hint: "give MiB as a number (256) or a size with K, M or G ('256M', '1G')" })
  }
  return bytes
}

const mkfsChecked = new Map<string, Promise<void>>()

/** mkfs.ext4 on the host (on `path`, the PATH with the sbin directories), looked for once; missing, it is a named error with the package. */
export function checkMkfs(path = hostPath()): Promise<void> {
  let check = mkfsChecked.get(path)
  if (!check) {
    check = execa('mkfs.ext4', ['-V'], { reject: false, stdin: 'ignore', env: { PATH: path }, extendEnv: false }).then((result) => {
      if (result.failed && 'code' in result && result.code === 'ENOENT') {
        mkfsChecked.delete(path)
        throw new MissingToolError('mkfs.ext4', "the QEMU target's disks are formatted on the host with mkfs.ext4, which is not installed", { hint: MKFS_HINT })
      }
    })
    mkfsChecked.set(path, check)
  }
  return check
}

async function mkfs(fs: 'ext4', image: string): Promise<void> {
  // -F: a regular file, not a block device; -q: no progress on stderr; no lazy init, so the guest does no zeroing.
  const result = await execa(`mkfs.${fs}`, ['-F', '-q', '-E', 'lazy_itable_init=0,lazy_journal_init=0', image], { reject: false, stdin: 'ignore', env: { PATH: hostPath() } })
  if (result.failed) {
    if ('code' in result && result.code === 'ENOENT') throw new MissingToolError(`mkfs.${fs}`, `mkfs.${fs} is not installed`, { hint: MKFS_HINT })
    throw new VmError(`mkfs.${fs} could not format the disk image ${image}:\n${result.stderr}`, { hint: 'is the temporary directory full?', cause: result })
  }
}

/** mkfs lives in /sbin and /usr/sbin, which a non-root PATH often lacks. */
function hostPath(): string {
  return [process.env.PATH, '/usr/sbin', '/sbin'].filter(Boolean).join(':')
}

/** QEMU splits option strings at commas; a comma inside a value is written twice. */
function optionValue(value: string): string {
  return value.replaceAll(',', ',,')
}
