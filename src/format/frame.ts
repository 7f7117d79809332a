import { U64_MAX, unsignedAt } from './numbers.js'
import type { Frame } from './types.js'

/**
 * One stack frame as the kernel's `%pS` prints it, or undefined if the line is not one:
 *
 * - ` shmem_get_folio_gfp.constprop.0+0x19a/0x4a7`: function (compiler suffixes kept), `+offset/size`;
 * - ` xfs_file_read_iter+0x1f0/0x380 [xfs]`: a module's function (`[xfs <build id>]` with
 *   CONFIG_STACKTRACE_BUILD_ID; the build id is dropped);
 * - ` 0xffffffff81234567`: an address kallsyms could not name (`%pS` then prints `0x%lx`):
 *   fn is the address text, offset and size are 0.
 *
 * The kernel indents frames by one space; the seed's slides do not, so leading blanks are optional.
 */
export function parseFrame(line: string): Frame | undefined {
  const raw = unindent(line)
  return raw.startsWith('0x') ? addressFrame(raw) : symbolFrame(raw)
}

/** The line without its leading spaces and tabs: a frame's `raw`. */
export function unindent(line: string): string {
  let start = 0
  while (isBlank(line.charCodeAt(start))) start++
  return start === 0 ? line : line.slice(start)
}

function addressFrame(raw: string): Frame | undefined {
  const address = unsignedAt(raw, 2, raw.length, 16, U64_MAX)
  return Number.isFinite(address) ? { fn: raw, offset: 0, size: 0, raw } : undefined
}

function symbolFrame(raw: string): Frame | undefined {
  const plus = raw.indexOf('+0x')
  if (plus <= 0) return undefined
  const slash = raw.indexOf('/0x', plus + 3)
  if (slash < 0) return undefined
  const space = raw.indexOf(' ', slash)
  const end = space < 0 ? raw.length : space
  const offset = unsignedAt(raw, plus + 3, slash, 16)
  const size = unsignedAt(raw, slash + 3, end, 16)
  const fn = raw.slice(0, plus)
  if (!Number.isFinite(offset) || !Number.isFinite(size) || hasBlank(fn)) return undefined
  if (space < 0) return { fn, offset, size, raw }
  const module = moduleOf(raw, space)
  return module === undefined ? undefined : { fn, offset, size, module, raw }
}

/** The module name in ` [name]` or ` [name buildid]` starting at `at`, which must end the line. */
function moduleOf(raw: string, at: number): string | undefined {
  if (raw.charCodeAt(at + 1) !== 91 /* [ */ || !raw.endsWith(']')) return undefined
  const inside = raw.slice(at + 2, -1)
  const space = inside.indexOf(' ')
  const name = space < 0 ? inside : inside.slice(0, space)
  return name === '' || name.includes(']') ? undefined : name
}

function isBlank(code: number): boolean {
  return code === 32 || code === 9
}

function hasBlank(text: string): boolean {
  return text.includes(' ') || text.includes('\t')
}

/** Past this many distinct frame lines the cache starts over rather than grow without bound. */
const CACHE_LIMIT = 100_000

/**
 * parseFrame with a memory. A page_owner file repeats the same few thousand frame lines a
 * million times, so each distinct line is parsed once and its Frame is shared: the Frames are
 * frozen, because one object now stands in many records. (parseFrame's frames pass FrameSchema
 * by construction, which test/format/frame.test.ts checks on every frame of the captures; the
 * readers that hand records on still run it, once per record body, records.ts.)
 */
export class FrameCache {
  readonly #frames = new Map<string, Frame | null>()

  parse(line: string): Frame | undefined {
    let frame = this.#frames.get(line)
    if (frame === undefined) {
      const parsed = parseFrame(line)
      frame = parsed ? Object.freeze(parsed) : null
      if (this.#frames.size >= CACHE_LIMIT) this.#frames.clear()
      this.#frames.set(line, frame)
    }
    return frame ?? undefined
  }
}
