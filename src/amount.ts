import { UsageError } from './errors.js'

/**
 * An amount of memory as a test states it: `'256 MiB'`, `'300 MB'`, `'4 KiB'`, `'65536 pages'`,
 * `{ pages: 65536 }`, `{ bytes: 1e6 }`, or a number of bytes.
 */
export type Budget = string | number | { pages: number } | { bytes: number }

/** A tolerance: an amount, or a percentage of the budget it loosens (`'5%'`). */
export type Tolerance = Budget | `${number}%`

export interface Amount {
  /** Pages; fractional when a byte budget is not a whole number of pages. */
  pages: number
  bytes: number
}

const UNITS: Record<string, number> = {
  B: 1,
  kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12,
  KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40,
}

const ACCEPTED = `accepted: '256 MiB', '300 MB', '4 KiB', '12 pages', { pages: 65536 }, { bytes: 1048576 }, or a number of bytes (IEC KiB/MiB/GiB/TiB = 1024-based; SI kB/MB/GB/TB = 1000-based)`

/** Amount from a budget; throws UsageError (with the accepted forms) on anything else. */
export function parseBudget(budget: Budget, pageSize: number): Amount {
  const fromBytes = (bytes: number) => ({ bytes, pages: bytes / pageSize })
  const fromPages = (pages: number) => ({ pages, bytes: pages * pageSize })
  if (typeof budget === 'number') return fromBytes(checked(budget, budget))
  if (typeof budget === 'object' && budget !== null) {
    if ('pages' in budget && Object.keys(budget).length === 1) return fromPages(checked(budget.pages, budget))
    if ('bytes' in budget && Object.keys(budget).length === 1) return fromBytes(checked(budget.bytes, budget))
  }
  if (typeof budget === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([A-Za-z]+)?\s*$/.exec(budget)
    const unit = match?.[2] ?? 'B'
    if (match && (unit === 'pages' || unit === 'page')) return fromPages(checked(Number(match[1]), budget))
    if (match && UNITS[unit]) return fromBytes(checked(Number(match[1]) * UNITS[unit], budget))
    const prefix = match && /^[kmgt]/i.test(unit) ? unit[0]!.toUpperCase() : undefined
    if (prefix) {
      const si = prefix === 'K' ? 'kB' : `${prefix}B`
      throw new UsageError(`unknown memory unit '${unit}' in ${JSON.stringify(budget)}`, {
        hint: `write ${prefix}iB for 1024-based or ${si} for 1000-based; ${ACCEPTED}`,
      })
    }
  }
  throw new UsageError(`not a memory budget: ${describe(budget)}`, { hint: ACCEPTED })
}

function checked(value: number, budget: unknown): number {
  if (!Number.isFinite(value) || value < 0) throw new UsageError(`not a memory budget: ${describe(budget)} (must be a finite amount >= 0)`, { hint: ACCEPTED })
  return value
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : typeof value === 'object' && value ? JSON.stringify(value) : String(value)
}

/** The allowance a tolerance adds to (or takes from) a budget, in pages. */
export function toleranceAllowance(tolerance: Tolerance | undefined, budget: Amount, pageSize: number): Amount {
  if (tolerance === undefined) return { pages: 0, bytes: 0 }
  if (typeof tolerance === 'string' && tolerance.trim().endsWith('%')) {
    const percent = Number(tolerance.trim().slice(0, -1))
    if (!Number.isFinite(percent) || percent < 0) throw new UsageError(`not a tolerance: ${JSON.stringify(tolerance)}`, { hint: `a percentage such as '5%', or ${ACCEPTED}` })
    return { pages: (budget.pages * percent) / 100, bytes: (budget.bytes * percent) / 100 }
  }
  return parseBudget(tolerance, pageSize)
}

/** `256 MiB`, `1.5 GiB`, `12 KiB`: bytes the way people read them (IEC, as the kernel counts). */
export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? '-' : ''
  let value = Math.abs(bytes)
  let unit = 0
  while (value >= 1024 && unit < 4) {
    value /= 1024
    unit++
  }
  return `${sign}${Number(value.toFixed(2))} ${['B', 'KiB', 'MiB', 'GiB', 'TiB'][unit]}`
}

/** `65536 pages (256 MiB)`. */
export function formatAmount(pages: number, pageSize: number): string {
  const shown = Number.isInteger(pages) ? String(pages) : pages.toFixed(1)
  return `${shown} ${Math.abs(pages) === 1 ? 'page' : 'pages'} (${formatBytes(pages * pageSize)})`
}
