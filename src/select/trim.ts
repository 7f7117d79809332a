import type { Frame } from '../format/types.js'

/**
 * Frames every stack shares: the page allocator at the top, the syscall entry at the bottom.
 * They say nothing about which code path allocated, so messages drop them.
 */
const ALLOCATOR = /^(get_page_from_freelist|__?alloc_pages|__alloc_frozen_pages|alloc_pages|__folio_alloc|folio_alloc|alloc_slab_page|allocate_slab|new_slab|___slab_alloc|__slab_alloc|alloc_pages_mpol|__alloc_pages_slowpath|prep_new_page|post_alloc_hook|vma_alloc_folio|alloc_frozen_pages|__alloc_pages_noprof)/
const ENTRY = /^(do_syscall_64|entry_SYSCALL_64|x64_sys_call|__x64_sys_|ret_from_fork|kernel_init|start_kernel|x86_64_start)/

/**
 * The frames worth showing: allocator and entry boilerplate cut, at most `max` kept, and the
 * frames a selector named always kept. Returns display strings; `…` marks a cut.
 */
export function trimFrames(frames: readonly Frame[], keep: (frame: Frame) => boolean = () => false, max = 6): string[] {
  let first = frames.findIndex((f) => !ALLOCATOR.test(f.fn))
  if (first < 0) first = 0
  let last = frames.length
  while (last > first + 1 && ENTRY.test(frames[last - 1]!.fn)) last--
  const middle = frames.slice(first, last)
  // Long stacks keep their first frames (closest to the allocation), the named ones, and the
  // last two (the subsystem entry, such as vfs_write < ksys_write).
  const kept = (i: number) => i < Math.max(1, max - 3) || i >= middle.length - 2 || keep(middle[i]!)
  // An ellipsis in place of a single frame saves nothing: show the frame.
  const shown = middle.length <= max ? middle : middle.filter((_, i) => kept(i) || (kept(i - 1) && kept(i + 1)))
  const lines: string[] = []
  let previous = -1
  for (const frame of shown) {
    const index = frames.indexOf(frame)
    if (index > previous + 1) lines.push('…')
    lines.push(frame.module ? `${frame.fn} [${frame.module}]` : frame.fn)
    previous = index
  }
  if (previous < frames.length - 1) lines.push('…')
  return lines
}
