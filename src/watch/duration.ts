import { UsageError } from '../errors.js'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/**
 * Milliseconds from a span people type: `200ms`, `1s`, `1.5s`, `10m`, `2h`. A bare number is
 * seconds, as in `sleep` and `watch -n`.
 */
export function parseDuration(text: string, name: string): number {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?\s*$/.exec(text)
  const ms = match ? Number(match[1]) * UNITS[match[2] ?? 's']! : NaN
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new UsageError(`${name}: ${JSON.stringify(text)} is not a time span`, { hint: "write a positive number with ms, s, m or h: '200ms', '1s', '10m', '2h' (a bare number is seconds)" })
  }
  return ms
}

/** `250 ms`, `1.2 s`, `12 s`, `3 m 05 s`: elapsed time in messages. */
export function formatElapsed(ms: number): string {
  if (ms > 0 && ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(ms < 10_000 ? 1 : 0))} s`
  const s = Math.round(ms / 1000)
  return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`
}
