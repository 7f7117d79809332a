import { inspect } from 'node:util'
import { UsageError } from '../errors.js'
import { MEASUREMENT, Measurement } from '../session/measurement.js'
import type { PageBudgetMatchers } from './matchers.js'
import type { BudgetRecord, Call, SourceLocation } from './record.js'

/**
 * What a test framework's matcher must return; `pass` is computed once and never flipped for
 * `.not`. No `actual`/`expected`: given both, Vitest (and Jest's expect in Playwright) prints a
 * diff of them under the message, and the message already states both, in pages and bytes.
 */
export interface MatcherResult {
  pass: boolean
  message: () => string
  /**
   * A failure that does not stop the test: Playwright records it (testInfo._failWithError) and the
   * test carries on, as its own snapshots do with a missing one. Other frameworks ignore it.
   */
  softError?: Error
}

/** The part of a framework's matcher state the core needs. */
export interface MatcherState {
  isNot?: boolean
}

/** A matcher implementation for each declared signature, as frameworks call it: the receiver comes first. */
export type Implementations<K extends keyof PageBudgetMatchers = keyof PageBudgetMatchers> = {
  [M in K]: (this: MatcherState, received: unknown, ...args: Parameters<PageBudgetMatchers[M]>) => Promise<MatcherResult>
}

/**
 * What the wrapper every matcher runs in (verdict/matchers.ts) hands the implementation: the
 * call as written, and where, taken once before any await while the test's frame is on the stack.
 */
export interface Assertion {
  call: Call
  site: SourceLocation | undefined
}

/** The framework's answer and the record reports keep, from one judgement. */
export interface Judgement {
  result: MatcherResult
  record: BudgetRecord
}

/** The implementations behind the wrapper: each judges once and returns both. */
export type Judges<K extends keyof PageBudgetMatchers = keyof PageBudgetMatchers> = {
  [M in K]: (this: Assertion, received: unknown, ...args: Parameters<PageBudgetMatchers[M]>) => Promise<Judgement>
}

/** Whether `value` is a pageOwner fixture, from this copy of page-budget or another. */
export function isMeasurement(value: unknown): value is Measurement {
  return value instanceof Measurement || (typeof value === 'object' && value !== null && MEASUREMENT in value)
}

/** The pageOwner fixture behind `expect(pageOwner)`; anything else is misuse, and throws. */
export function asMeasurement(received: unknown, matcher: string): Measurement {
  if (isMeasurement(received)) return received
  throw new UsageError(`${matcher} expects the pageOwner fixture, got ${describe(received)}`, {
    hint: 'write `await expect(pageOwner).' + matcher + '(...)` with pageOwner from the test context',
  })
}

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value)
  return value.constructor?.name ?? 'an object'
}


/** An argument as the test wrote it, for the call line of a message: `'200 MiB'`, `{ comm: 'dd' }`. */
export function show(value: unknown): string {
  return inspect(value, { breakLength: Infinity, depth: 4 })
}
