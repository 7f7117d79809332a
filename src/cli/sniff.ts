import { PageBudgetError } from '../errors.js'
import { detectFormat, openFile, splitLines } from '../format/index.js'
import type { KernelFile } from '../target/types.js'

export type SampleFile = 'show_handles' | 'show_stacks' | 'page_owner'

/** What kind of debugfs file a recording is, from its first lines (`.gz` or not). */
export async function sniffFile(path: string): Promise<KernelFile | undefined> {
  const first: string[] = []
  for await (const lines of splitLines(openFile(path))) {
    first.push(...lines)
    if (first.length >= 40) break
  }
  return detectFormat(first)
}

/** A recorded sample file (show_handles, show_stacks or page_owner), or a clear error. */
export async function sniffSampleFile(path: string): Promise<SampleFile> {
  const format = await sniffFile(path)
  if (format === 'show_handles' || format === 'show_stacks' || format === 'page_owner') return format
  throw new PageBudgetError('E_FORMAT', `${path}: not a show_handles, show_stacks or page_owner file (looks like ${format ?? 'nothing known'})`, {
    hint: 'pass a file read from /sys/kernel/debug/page_owner_stacks/show_handles, .../show_stacks or /sys/kernel/debug/page_owner',
  })
}
