/** One stack frame as the kernel prints it: ` shmem_get_folio_gfp.constprop.0+0x19a/0x4a7 [mod]`. */
export interface Frame {
  /** Function name with compiler suffixes kept (`.constprop.0`, `.isra.0`, `.cold`). */
  fn: string
  offset: number
  size: number
  module?: string
  /** The line as read, without the leading space. */
  raw: string
}

/** handle -> nr_base_pages, as show_handles lists it (absent handles hold 0 pages or sit under count_threshold). */
export type HandleCounts = Map<number, number>

/** One stack as show_stacks lists it: frames and the pages they hold now. */
export interface StackCount {
  frames: Frame[]
  pages: number
}

/** One record of the per-page /sys/kernel/debug/page_owner file. */
export interface PageOwnerRecord {
  order: number
  /** GFP mask as a number, and its symbolic names in the kernel's order. */
  mask: number
  gfp: string[]
  pid: number
  tgid: number
  comm: string
  /** Allocation time in ns since boot (a bigint would be exact; ns fit in a double for ~104 days). */
  ts: number
  /** When the page was last freed, in ns since boot (`free_ts`): printed by older kernels only. */
  freeTs?: number
  /** Marks that follow the header, such as `swapped` from the swap RFC. */
  marks: string[]
  pfn: number
  migrateType: string
  block: number
  blockType: string
  flags: number
  flagNames: string[]
  /** Shared by every record of the stack (they share one record body): read-only, so never copied. */
  frames: readonly Frame[]
  /** The memcg the page is charged to (`Charged to memcg X`), if printed. */
  memcg?: string
  /** Lines the parser did not recognise but kept (newer kernels add fields). */
  extra: string[]
}

/** One record of the RFC /sys/kernel/debug/swap_page_owner file (a page in swap). */
export interface SwapPageOwnerRecord {
  pid: number
  tgid: number
  comm: string
  ts: number
  swpEntry: number
  /** Shared by every record of the stack, as in PageOwnerRecord. */
  frames: readonly Frame[]
  extra: string[]
}

/** Bytes or text arriving in chunks of any size: a file stream, a child's stdout, a test table. */
export type ByteSource = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>
