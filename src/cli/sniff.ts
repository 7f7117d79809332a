import { FileFormatError, ParseError } from '../errors.js'
import { detectFormat } from '../format/detect.js'
import { openFile } from '../format/file.js'
import { LineTooLongError, splitLines } from '../format/lines.js'
import type { KernelFile } from '../target/types.js'

export type SampleFile = 'show_handles' | 'show_stacks' | 'page_owner' | 'allocinfo'

const SAMPLE_FILES: readonly SampleFile[] = ['show_handles', 'show_stacks', 'page_owner', 'allocinfo']

/** What kind of debugfs file a recording is, from its first lines (`.gz` or not). */
async function sniffFile(path: string): Promise<KernelFile | undefined> {
  const first: string[] = []
  try {
    // 64 KiB chunks: the 40 lines are in the first, which is all that is read and decoded (25 ms of `top` at 1 MiB).
    for await (const lines of splitLines(openFile(path, { chunk: 64 << 10 }))) {
      first.push(...lines)
      if (first.length >= 40) break
    }
  } catch (error) {
    if (error instanceof LineTooLongError) throw new ParseError(path, first.length + 1, error.prefix, error.message, { cause: error })
    throw error
  }
  return detectFormat(first)
}

/** A recorded sample file (show_handles, show_stacks, page_owner or /proc/allocinfo), or a clear error. */
export async function sniffSampleFile(path: string): Promise<SampleFile> {
  const format = await sniffFile(path)
  if ((SAMPLE_FILES as readonly string[]).includes(format ?? '')) return format as SampleFile
  throw new FileFormatError(path, format, SAMPLE_FILES, 'pass a file read from /sys/kernel/debug/page_owner_stacks/show_handles, .../show_stacks, /sys/kernel/debug/page_owner or /proc/allocinfo')
}
