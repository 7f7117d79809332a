// Synthetic page_owner_stacks files with N stacks, shaped like the kernel's (12-16 frames,
// leading space, handle numbers like stack depot's), for benchmarking beyond one real boot.

const FUNCS = ['shmem_get_folio_gfp.constprop.0', 'filemap_add_folio', 'xas_alloc', 'kmem_cache_alloc_lru_noprof', 'do_anonymous_page', 'handle_mm_fault', 'ext4_da_write_begin', 'generic_perform_write', 'vfs_write', 'ksys_write', 'do_sys_openat2', 'alloc_pipe_info', 'copy_process', 'load_elf_binary', 'zs_malloc', 'zram_write_page']

function stack(i) {
  const frames = [' get_page_from_freelist+0x697/0x729', ' __alloc_frozen_pages_noprof+0xd6/0x149']
  const depth = 10 + (i % 5)
  for (let d = 0; d < depth; d++) {
    const fn = FUNCS[(i * 7 + d * 13) % FUNCS.length]
    frames.push(` ${fn}+0x${((i * 31 + d) % 4096).toString(16)}/0x${(4096 + d).toString(16)}`)
  }
  frames.push(' do_syscall_64+0x90/0x1ce', ' entry_SYSCALL_64_after_hwframe+0x76/0x7e')
  return frames.join('\n')
}

/** { showHandles(sample), showStacks(sample), showStacksHandles } for n stacks; sample 1 grows stack 0. */
export function synthetic(n) {
  const handles = Array.from({ length: n }, (_, i) => 1048581 + i * 4099)
  const stacks = handles.map((_, i) => stack(i))
  const pages = (sample, i) => 1 + ((i * 2654435761) % 977) + (sample === 1 && i === 0 ? 65536 : 0)
  return {
    showHandles: (sample) => handles.map((h, i) => `handle: ${h}\nnr_base_pages: ${pages(sample, i)}\n`).join('\n') + '\n',
    showStacks: (sample) => stacks.map((s, i) => `${s}\nnr_base_pages: ${pages(sample, i)}\n`).join('\n') + '\n',
    showStacksHandles: stacks.map((s, i) => `${s}\nhandle: ${handles[i]}\n`).join('\n') + '\n',
  }
}

const COMMS = ['dd', 'kworker/u4:0', 'cat', 'systemd-journal', 'sh', 'init']

/** `count` page_owner records in the kernel's format (v6.7+ headers, PFN lines, memcg lines) over `stacks` stacks. */
function perPageRecords(count, stacks) {
  const bodies = Array.from({ length: stacks }, (_, i) => `${stack(i)}\nCharged to memcg /\n`)
  const records = []
  let pfn = 0x1000
  for (let r = 0; r < count; r++) {
    const i = (r * 2654435761) % stacks
    const order = i % 7 === 0 ? 2 : 0
    const pid = 30 + (i % 200)
    records.push(
      `Page allocated via order ${order}, mask 0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), pid ${pid}, tgid ${pid} (${COMMS[i % COMMS.length]}), ts ${1_000_000_000 + r * 977} ns\n` +
        `PFN 0x${(pfn += 1 << order).toString(16)} type Movable Block ${pfn >> 9} type Movable Flags 0x4000000000000000(zone=1)\n${bodies[i]}\n`,
    )
  }
  return Buffer.from(records.join(''))
}

/**
 * A per-page page_owner file of at least `bytes` bytes at `path`: 64k records over `stacks`
 * stacks, rendered once and written again and again (as a dump of a busy host repeats its
 * stacks), so a gigabyte is written in seconds and never held in memory. Returns the bytes written.
 */
export async function writePerPage(path, bytes, stacks = 2000) {
  const { open } = await import('node:fs/promises')
  const block = perPageRecords(65536, stacks)
  const file = await open(path, 'w')
  let written = 0
  try {
    while (written < bytes) written += (await file.write(block)).bytesWritten
  } finally {
    await file.close()
  }
  return written
}
