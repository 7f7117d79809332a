import { PageOwnerDisabledError, UnsupportedKernelError } from '../errors.js'
import { parseCountThreshold } from '../format/count-threshold.js'
import type { SamplePath } from '../format/detect.js'
import { probeAllocInfo, type AllocInfoState } from './allocinfo.js'
import { fileContains, readText, where } from './read.js'
import type { KernelFile, Target } from './types.js'

export const SAMPLE_PATH_NOTES: Record<SamplePath, string> = {
  show_handles: 'show_handles (kernel stack handles; stacks resolved lazily)',
  show_stacks: 'show_stacks fallback (kernel before 6.19: every stack re-hashed on each sample)',
  page_owner: 'per-page page_owner fallback (kernel before 6.9: the whole per-page file streamed on each sample)',
}

export interface Capabilities {
  bootId: string
  /** Kernel release, from /proc/version (`7.2.13`). */
  kernel: string
  pageSize: number
  /** Whether the page size was read from the kernel or assumed (recordings without smaps). */
  pageSizeSource: 'kernel' | 'assumed'
  files: Record<'show_handles' | 'show_stacks_handles' | 'show_stacks' | 'page_owner' | 'swap_page_owner' | 'count_threshold', boolean>
  countThreshold: number
  path: SamplePath
  /** Whether /proc/allocinfo counts bytes per call site, for budgets on `sites`. */
  allocinfo: AllocInfoState
}

const PROBED = ['show_handles', 'show_stacks_handles', 'show_stacks', 'page_owner', 'swap_page_owner', 'count_threshold'] as const

/** What the target's kernel offers, asked once: files, boot id, page size, count_threshold, sample path. */
export async function probe(target: Target): Promise<Capabilities> {
  const present = await Promise.all(PROBED.map((f) => target.exists(f)))
  const files = Object.fromEntries(PROBED.map((f, i) => [f, present[i]!])) as Capabilities['files']
  const path: SamplePath | undefined = files.show_handles && files.show_stacks_handles
    ? 'show_handles'
    : files.show_stacks ? 'show_stacks' : files.page_owner ? 'page_owner' : undefined
  if (!path) throw await explainMissingPageOwner(target)

  const [bootId, version, pageSize, countThreshold, allocinfo] = await Promise.all([
    optionalText(target, 'boot_id'),
    optionalText(target, 'version'),
    readPageSize(target),
    files.count_threshold ? parseCountThreshold(target.read('count_threshold'), where(target, 'count_threshold')) : Promise.resolve(0),
    probeAllocInfo(target),
  ])
  return {
    bootId: bootId?.trim() || 'unknown-boot',
    kernel: /Linux version (\S+)/.exec(version ?? '')?.[1] ?? 'unknown',
    pageSize: pageSize ?? 4096,
    pageSizeSource: pageSize ? 'kernel' : 'assumed',
    files,
    countThreshold,
    path,
    allocinfo,
  }
}

async function optionalText(target: Target, file: KernelFile): Promise<string | undefined> {
  return (await target.exists(file)) ? readText(target, file) : undefined
}

/** Page size from the first `KernelPageSize:` of /proc/self/smaps (any process shares it). */
async function readPageSize(target: Target): Promise<number | undefined> {
  const smaps = await optionalText(target, 'smaps')
  const kb = smaps && /^KernelPageSize:\s+(\d+) kB/m.exec(smaps)?.[1]
  return kb ? Number(kb) * 1024 : undefined
}

/**
 * No page_owner files: tell apart a kernel built without CONFIG_PAGE_OWNER, one booted without
 * page_owner=on, and a debugfs that is not mounted, because each has a different fix.
 */
async function explainMissingPageOwner(target: Target): Promise<Error> {
  const cmdline = await optionalText(target, 'cmdline')
  const built = (await target.exists('kallsyms')) ? await fileContains(target, 'kallsyms', ' page_owner_inited') : undefined
  if (built === false) {
    return new PageOwnerDisabledError(
      'not-built',
      `${target.description}: this kernel was built without CONFIG_PAGE_OWNER (no page_owner symbols in /proc/kallsyms)`,
      'build a kernel with CONFIG_PAGE_OWNER=y (`page-budget kernel build` makes one for QEMU) and boot it with page_owner=on',
    )
  }
  if (cmdline !== undefined && !/(^|\s)page_owner=on\b/.test(cmdline)) {
    return new PageOwnerDisabledError(
      'not-enabled',
      `${target.description}: the kernel was booted without page_owner=on (kernel command line: ${cmdline.trim()})`,
      'add page_owner=on to the kernel command line and reboot',
    )
  }
  if (built === undefined || cmdline === undefined) {
    return new UnsupportedKernelError(
      `${target.description}: no page_owner files (show_handles, show_stacks or page_owner)`,
      'record them from a kernel built with CONFIG_PAGE_OWNER and booted with page_owner=on',
    )
  }
  return new PageOwnerDisabledError(
    'no-debugfs',
    `${target.description}: page_owner is on, but its debugfs files are not there`,
    'mount debugfs: mount -t debugfs none /sys/kernel/debug (or point the target at where it is mounted)',
  )
}
