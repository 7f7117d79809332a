import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { expect } from 'vitest'
import { ParseError } from '../../src/errors.js'

/** Real debugfs files from a 7.2.13 kernel after `dd` wrote 256 MiB to tmpfs. */
export const CAPTURE = new URL('../fixtures/linux-7.2.13-tmpfs-dd-256M/', import.meta.url)

export function capturePath(name: string): string {
  return new URL(name, CAPTURE).pathname
}

export function captureText(name: string): string {
  return readFileSync(new URL(name, CAPTURE), 'utf8')
}

let pageOwner: string | undefined
/** The 45 MB page_owner capture, decompressed once per test file. */
export function pageOwnerText(): string {
  pageOwner ??= gunzipSync(readFileSync(new URL('after.page_owner.gz', CAPTURE))).toString('utf8')
  return pageOwner
}

export const encode = (text: string): Uint8Array => new TextEncoder().encode(text)

/** `bytes` cut at the given offsets (out-of-range and repeated cuts are ignored). */
export function chunksAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.filter((cut) => cut > 0 && cut < bytes.length))].sort((a, b) => a - b)
  const chunks: Uint8Array[] = []
  let from = 0
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, point))
    from = point
  }
  return chunks
}

/** `bytes` in chunks of `size` bytes. */
export function chunksOf(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = []
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size))
  return chunks
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown }

export async function outcome<T>(promise: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await promise }
  } catch (error) {
    return { ok: false, error }
  }
}

/** The lines of `text` as the parsers number them (1-based: line n is `lines[n - 1]`). */
export function linesOf(text: string): string[] {
  const lines = text.split('\n')
  return lines.map((line, i) => (i < lines.length - 1 && line.endsWith('\r') ? line.slice(0, -1) : line))
}

/** Asserts `error` is a ParseError for `file` that quotes the line it names. */
export function expectParseError(error: unknown, file: string, text: string): asserts error is ParseError {
  if (!(error instanceof ParseError)) throw error
  expect(error.file).toBe(file)
  const lines = linesOf(text)
  expect(error.line).toBeGreaterThanOrEqual(1)
  expect(error.line).toBeLessThanOrEqual(Math.max(lines.length, 1))
  expect(error.text).toBe(lines[error.line - 1] ?? '')
}

/** The records of a debugfs file as text, without the blank line that ends each. */
export function recordsOf(text: string): string[] {
  return text.split('\n\n').filter((block) => block !== '')
}

/** Records as a debugfs file prints them, each followed by a blank line. */
export function fileOf(records: readonly string[]): string {
  return records.map((record) => `${record}\n\n`).join('')
}
