/** The largest value the kernel prints with %llu or %lx, as the nearest double. */
export const U64_MAX = 2 ** 64

/**
 * The unsigned integer in `text[start, end)` written in `base` (10 or 16, hex digits without the
 * `0x`, lowercase) the way the kernel's printf writes it: digits only, no sign, no leading zero.
 * NaN when it is not such a number (`-5`, `007`, `12a`, nothing); Infinity when it is above `max`.
 *
 * Hand-rolled because it runs a few times per page_owner record (millions of times per file)
 * and Number() would accept `1e3`, ` 7`, `0b1` and the empty string.
 */
export function unsignedAt(text: string, start: number, end: number, base: 10 | 16, max = Number.MAX_SAFE_INTEGER): number {
  if (end <= start || (end - start > 1 && text.charCodeAt(start) === 48)) return Number.NaN
  let value = 0
  for (let i = start; i < end; i++) {
    const digit = digitValue(text.charCodeAt(i))
    if (digit >= base) return Number.NaN
    value = value * base + digit
  }
  return value > max ? Number.POSITIVE_INFINITY : value
}

/** 0-15 for `0-9a-f`, 99 for anything else. */
function digitValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48
  if (code >= 97 && code <= 102) return code - 87
  return 99
}
