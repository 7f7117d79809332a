import { FieldReader, parse, type ResultMachine } from './machine.js'
import { unsignedAt } from './numbers.js'
import type { ByteSource } from './types.js'

/** The first line of /proc/allocinfo, before its version (lib/alloc_tag.c, print_allocinfo_header). */
export const ALLOCINFO_HEADER = 'allocinfo - version: '
/** The header versions this parser reads; both print site lines the same way (` accurate:no` is optional in either). */
const VERSIONS = ['1.0', '2.0'] as const
export type AllocInfoVersion = (typeof VERSIONS)[number]
/** The second header line, as the kernel prints it. */
export const ALLOCINFO_COLUMNS = '#     <size>  <calls> <tag info>'
/** What follows the tag of a site whose counts miss allocations made before profiling was ready. */
export const ACCURATE_NO = ' accurate:no'
const FUNC = ' func:'

/** One allocation call site, a code tag: where the kernel calls an allocator (alloc_hooks). */
export interface Site {
  /** Source file as the kernel was built from it: `fs/dcache.c`. */
  file: string
  line: number
  /** The module the site is in; absent for the kernel image. */
  module?: string
  /** The function the call is in: `__d_alloc`. */
  fn: string
}

/** What a call site holds now: bytes and calls (allocations) still allocated. */
export interface SiteCount {
  /** The site's tag info, `fs/dcache.c:1690 func:__d_alloc` (`[module]` before `func:` in a module): the key of a site. */
  key: string
  site: Site
  bytes: number
  calls: number
  /**
   * False where the kernel printed ` accurate:no`: allocations made before the profiling was
   * ready were not counted (and their frees may be), so the numbers are approximate.
   */
  accurate: boolean
}

/** /proc/allocinfo, parsed: the header's version and each site by key. */
export interface AllocInfo {
  version: AllocInfoVersion
  /**
   * Sites by key. The kernel lists every site, allocated or not, so an absent key held nothing;
   * one line of source with two allocator calls has two tags with the same text, summed here.
   */
  sites: Map<string, SiteCount>
}

/** `fs/dcache.c:1690 func:__d_alloc`, or with a module `fs/xfs/xfs_buf.c:120 [xfs] func:xfs_buf_alloc`. */
export function siteKey(site: Site): string {
  return `${site.file}:${site.line}${site.module ? ` [${site.module}]` : ''}${FUNC}${site.fn}`
}

/**
 * /proc/allocinfo as lib/alloc_tag.c prints it: `allocinfo - version: 2.0`, the column line,
 * then per code tag `"%12lli %8llu "`, the tag (`file:line [module] func:name`), ` accurate:no`
 * where inaccurate, a space and the line break. Strict: every field as the kernel formats it
 * (widths included), so two files run together, a cut line or a damaged number are ParseErrors.
 * The line's trailing space is what tells a whole line from one cut after its function name.
 */
export class AllocInfoMachine extends FieldReader implements ResultMachine<AllocInfo> {
  readonly result: AllocInfo = { version: '2.0', sites: new Map() }
  #header = 0

  constructor(file: string) {
    super(file)
  }

  line(text: string, no: number): void {
    if (this.#header < 2) return this.#headerLine(text, no)
    const count = this.#site(text, no)
    const known = this.result.sites.get(count.key)
    if (!known) this.result.sites.set(count.key, count)
    else {
      known.bytes += count.bytes
      known.calls += count.calls
      known.accurate &&= count.accurate
    }
  }

  end(no: number, text: string, newline: boolean): void {
    if (!newline) this.fail(no, text, 'the last line has no line break: the file was probably cut short')
    if (this.#header < 2) this.fail(Math.max(no, 1), text, no === 0 ? 'empty: no allocinfo header' : 'the allocinfo header is incomplete')
    // Every kernel with CONFIG_MEM_ALLOC_PROFILING has hundreds of tags: none means a file cut after its header.
    if (this.result.sites.size === 0) this.fail(no, text, 'no call sites after the header: the file was probably cut short')
  }

  #headerLine(text: string, no: number): void {
    if (this.#header === 0) {
      const version = text.startsWith(ALLOCINFO_HEADER) ? text.slice(ALLOCINFO_HEADER.length) : undefined
      if (version === undefined) this.fail(no, text, `expected "${ALLOCINFO_HEADER}1.0" or "2.0": not /proc/allocinfo`)
      if (!(VERSIONS as readonly string[]).includes(version)) this.fail(no, text, `allocinfo version ${version} is not one this parser reads (${VERSIONS.join(', ')})`)
      this.result.version = version as AllocInfoVersion
    } else if (text !== ALLOCINFO_COLUMNS) {
      this.fail(no, text, `expected the column line "${ALLOCINFO_COLUMNS}"`)
    }
    this.#header++
  }

  #site(text: string, no: number): SiteCount {
    if (text.startsWith(ALLOCINFO_HEADER)) this.fail(no, text, 'a second allocinfo header: two files ran together')
    // "%12lli %8llu ": right-aligned in 12 and 8 columns, wider numbers unpadded.
    let at = 0
    const field = (width: number, what: string, signed: boolean): number => {
      const start = at
      while (text.charCodeAt(at) === 32) at++
      const negative = signed && text.charCodeAt(at) === 45
      const digits = negative ? at + 1 : at
      let end = digits
      while (end < text.length && text.charCodeAt(end) !== 32) end++
      const value = unsignedAt(text, digits, end, 10)
      if (!Number.isFinite(value) || (negative && value === 0)) this.fail(no, text, `${what} should be a decimal integer, not "${text.slice(at, end)}"`)
      // Narrower than the column: padded to it exactly; as wide or wider: not padded at all.
      if (end - at < width ? end - start !== width : at > start) this.fail(no, text, `${what} is not right-aligned in ${width} columns`)
      if (text.charCodeAt(end) !== 32) this.fail(no, text, `expected a space after the ${what}`)
      at = end + 1
      return negative ? -value : value
    }
    const bytes = field(12, 'size in bytes', true)
    const calls = field(8, 'number of calls', false)
    if (text.charCodeAt(text.length - 1) !== 32) this.fail(no, text, 'a site line ends with a space: this one was cut short')
    let tag = text.slice(at, -1)
    const accurate = !tag.endsWith(ACCURATE_NO)
    if (!accurate) tag = tag.slice(0, -ACCURATE_NO.length)
    return { key: tag, site: this.#tag(tag, no, text), bytes, calls, accurate }
  }

  /** `file:line [module] func:name`, each part without spaces. */
  #tag(tag: string, no: number, text: string): Site {
    const func = tag.lastIndexOf(FUNC)
    const fn = tag.slice(func + FUNC.length)
    if (func < 0 || fn === '' || /\s/.test(fn)) this.fail(no, text, 'expected "func:NAME" after the call site')
    let where = tag.slice(0, func)
    let module: string | undefined
    const bracket = where.lastIndexOf(' [')
    if (bracket >= 0 && where.endsWith(']')) {
      module = where.slice(bracket + 2, -1)
      where = where.slice(0, bracket)
      if (module === '' || /[\s[\]]/.test(module)) this.fail(no, text, `not a module name: "[${module}]"`)
    }
    const colon = where.lastIndexOf(':')
    const file = where.slice(0, colon)
    const line = unsignedAt(where, colon + 1, where.length, 10)
    if (colon <= 0 || /\s/.test(file) || !Number.isFinite(line)) this.fail(no, text, 'expected the call site as "file:line"')
    return { file, line, ...(module !== undefined && { module }), fn }
  }
}

/** Bytes and calls per call site from /proc/allocinfo (CONFIG_MEM_ALLOC_PROFILING, v6.10 and later). */
export function parseAllocInfo(source: ByteSource, file: string): Promise<AllocInfo> {
  return parse(source, new AllocInfoMachine(file))
}

/** A call site whose bytes or calls changed between two reads of allocinfo. */
export interface SiteChange {
  key: string
  site: Site
  /** Bytes held before and after, and the change. */
  before: number
  after: number
  bytes: number
  /** Calls (allocations still held) gained; negative: freed. */
  calls: number
  /** False when either read marked the site ` accurate:no`. */
  accurate: boolean
}

/**
 * The sites whose bytes or calls changed between two reads. allocinfo lists every site, so a
 * site only one read has belongs to a module loaded or unloaded in between: 0 in the other.
 */
export function diffSites(before: ReadonlyMap<string, SiteCount>, after: ReadonlyMap<string, SiteCount>): SiteChange[] {
  const rows: SiteChange[] = []
  const change = (was: SiteCount | undefined, now: SiteCount | undefined) => {
    const count = (now ?? was)!
    const bytes = (now?.bytes ?? 0) - (was?.bytes ?? 0)
    const calls = (now?.calls ?? 0) - (was?.calls ?? 0)
    if (bytes === 0 && calls === 0) return
    rows.push({ key: count.key, site: count.site, before: was?.bytes ?? 0, after: now?.bytes ?? 0, bytes, calls, accurate: (was?.accurate ?? true) && (now?.accurate ?? true) })
  }
  for (const [key, now] of after) change(before.get(key), now)
  for (const [key, was] of before) if (!after.has(key)) change(was, undefined)
  return rows
}
