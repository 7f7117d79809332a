/** Where a build is, from its output: what `page-budget kernel build` shows instead of make's lines. */
export interface BuildStatus {
  phase: 'source' | 'configure' | 'compile' | 'link' | 'done'
  /** Files compiled so far (make's `CC`, `AS` lines). */
  compiled: number
  /** Seconds since the build began. */
  seconds: number
}

const COMPILE = /^\s+(CC|AS|HOSTCC|LDS)\s/
const LINK = /^\s+(LD|AR|OBJCOPY|ZOFFSET|VOFFSET|BUILD|KSYMS|SORTTAB)\s/

/** Follows a build's lines and keeps its status. */
export class BuildProgress {
  readonly #started = Date.now()
  #phase: BuildStatus['phase'] = 'source'
  #compiled = 0

  /** Takes one line of the build's log; returns true when the phase changed. */
  line(line: string): boolean {
    const before = this.#phase
    // The steps' command lines (`$ make ...`) mark the phases; make's own lines count files.
    if (line.startsWith('$ ')) {
      if (/ (tinyconfig|olddefconfig)$/.test(line) || line.startsWith('$ scripts/kconfig/')) this.#phase = 'configure'
      else if (line.startsWith('$ make ') && line.endsWith(' bzImage')) this.#phase = 'compile'
    } else if (this.#phase === 'compile' || this.#phase === 'link') {
      if (COMPILE.test(line)) this.#compiled++
      else if (LINK.test(line) && /vmlinux|bzImage/.test(line)) this.#phase = 'link'
    }
    if (line.startsWith('page-budget: kernel ') && line.includes(' ready at ')) this.#phase = 'done'
    return this.#phase !== before
  }

  get status(): BuildStatus {
    return { phase: this.#phase, compiled: this.#compiled, seconds: (Date.now() - this.#started) / 1000 }
  }
}

/** `compiling, 1234 files, 3m12s`: the status in words. */
export function formatStatus(status: BuildStatus): string {
  const minutes = Math.floor(status.seconds / 60)
  const elapsed = `${minutes ? `${minutes}m` : ''}${String(Math.floor(status.seconds % 60)).padStart(minutes ? 2 : 1, '0')}s`
  const phase = { source: 'getting the source', configure: 'configuring', compile: 'compiling', link: 'linking', done: 'done' }[status.phase]
  return `${phase}, ${status.compiled} files compiled, ${elapsed}`
}
