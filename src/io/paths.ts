import { isAbsolute, relative, sep } from 'node:path'

/**
 * A path as reports show it: relative to the working directory (the repository root in CI,
 * where GitHub annotations expect it), with / separators. Paths outside stay absolute.
 */
export function reportPath(file: string): string {
  const shown = relative(process.cwd(), file)
  return shown.startsWith('..') || isAbsolute(shown) ? file : shown.split(sep).join('/')
}
