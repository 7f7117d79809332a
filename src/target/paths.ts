import type { KernelFile } from './types.js'

/**
 * Where each logical kernel file lives on a live kernel. Every target that talks to a real
 * kernel (local, command, qemu) maps names through this one table, so a path is spelled once.
 * `debugfsRoot` moves only the debugfs files; /proc is always /proc.
 */
export function kernelPaths(debugfsRoot = '/sys/kernel/debug'): Record<KernelFile, string> {
  const stacks = `${debugfsRoot}/page_owner_stacks`
  return {
    show_handles: `${stacks}/show_handles`,
    show_stacks_handles: `${stacks}/show_stacks_handles`,
    show_stacks: `${stacks}/show_stacks`,
    count_threshold: `${stacks}/count_threshold`,
    page_owner: `${debugfsRoot}/page_owner`,
    swap_page_owner: `${debugfsRoot}/swap_page_owner`,
    // CONFIG_MEM_ALLOC_PROFILING: bytes and calls per call site, and the switch that turns counting on.
    allocinfo: '/proc/allocinfo',
    mem_profiling: '/proc/sys/vm/mem_profiling',
    boot_id: '/proc/sys/kernel/random/boot_id',
    version: '/proc/version',
    cmdline: '/proc/cmdline',
    kallsyms: '/proc/kallsyms',
    smaps: '/proc/self/smaps',
    meminfo: '/proc/meminfo',
    vmstat: '/proc/vmstat',
    uptime: '/proc/uptime',
    // The root cgroup's: the guest init mounts cgroup v2 at /sys/fs/cgroup, as systemd does.
    memory_reclaim: '/sys/fs/cgroup/memory.reclaim',
  }
}
