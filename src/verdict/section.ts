import { UnawaitedAssertionError } from '../errors.js'
import type { Measurement } from '../session/measurement.js'
import { callText, type BudgetRecord, type Call, type SourceLocation } from './record.js'

/**
 * The test a measured section belongs to, as the framework's fixture knows it: baselines are
 * stored per test, next to its file, and written when the framework's update flag says so.
 */
export interface TestIdentity {
  /** Absolute path of the test file. */
  file: string
  /** Describe blocks, then the test's name. */
  title: string[]
  /**
   * What the framework's snapshot rules write: `all` rewrites every baseline; `changed` rewrites
   * the ones that no longer hold and writes missing ones; `new` writes missing ones; `new-fails`
   * writes missing ones and fails the assertion that wrote it, so no run passes on a baseline it
   * never compared (Playwright's default); `none` writes nothing (Vitest in CI).
   */
  updateBaselines: 'all' | 'changed' | 'new' | 'new-fails' | 'none'
  /**
   * When the test's own timeout runs out (epoch ms): polling matchers stop re-sampling in time
   * to report their verdict instead of a bare timeout.
   */
  deadline?: number
}

/**
 * Hears each assertion on a section, as it starts (synchronously, in the matcher call), with
 * the record it will file (rejected on misuse: no budget was judged). The assertion settles
 * after what the listener returns. Framework fixtures use it to show each budget in their own
 * reporters (Vitest annotations, Playwright steps) without the core knowing either.
 */
export type AssertionListener = (call: Call, site: SourceLocation | undefined, record: Promise<BudgetRecord>) => Promise<unknown>

/** What verdicts keep about one measured section: its test, its records, the assertions still running. */
interface Section {
  test: TestIdentity | undefined
  readonly records: BudgetRecord[]
  readonly listeners: AssertionListener[]
  readonly running: Set<{ call: Call; site: SourceLocation | undefined; done: Promise<unknown> }>
  closing: boolean
}

/**
 * Kept beside each Measurement rather than in it: measuring knows nothing of verdicts, and a
 * section's entry goes when the section does.
 */
const sections = new WeakMap<Measurement, Section>()

function sectionOf(measurement: Measurement): Section {
  let section = sections.get(measurement)
  if (!section) sections.set(measurement, (section = { test: undefined, records: [], listeners: [], running: new Set(), closing: false }))
  return section
}

/** Tells the verdicts which test a section belongs to (the framework fixtures call this). */
export function bindTest(measurement: Measurement, test: TestIdentity): void {
  sectionOf(measurement).test = test
}

/** The test a section belongs to, when a framework fixture bound one. */
export function testOf(measurement: Measurement): TestIdentity | undefined {
  return sections.get(measurement)?.test
}

/** Every budget assertion judged on this section, in order. */
export function recordsOf(measurement: Measurement): readonly BudgetRecord[] {
  return sections.get(measurement)?.records ?? []
}

export function addRecord(measurement: Measurement, record: BudgetRecord): void {
  sectionOf(measurement).records.push(record)
}

export function onAssertion(measurement: Measurement, listener: AssertionListener): void {
  sectionOf(measurement).listeners.push(listener)
}

/** Tells the section's listeners of an assertion that starts now; settles when they are done. */
export function heard(measurement: Measurement, call: Call, site: SourceLocation | undefined, judged: Promise<{ record: BudgetRecord }>): Promise<unknown> {
  const listeners = sections.get(measurement)?.listeners ?? []
  // Made only for listeners, so that a misuse nobody listens for is not an unhandled rejection.
  if (listeners.length === 0) return Promise.resolve()
  const record = judged.then(({ record }) => record)
  return Promise.all(listeners.map((listen) => listen(call, site, record)))
}

/**
 * Registers an assertion the test has started, so `endSection` can wait for it and then fail
 * the test that forgot to await it.
 */
export async function track<T>(measurement: Measurement, call: Call, site: SourceLocation | undefined, work: Promise<T>): Promise<T> {
  const entry = { call, site, done: work }
  const section = sectionOf(measurement)
  section.running.add(entry)
  try {
    return await work
  } finally {
    section.running.delete(entry)
  }
}

/** Whether the section is ending: an assertion that settles now is one nobody awaits. */
export function isClosing(measurement: Measurement): boolean {
  return sections.get(measurement)?.closing ?? false
}

/**
 * Ends a measured section the way the fixtures do: assertions the test did not await are let
 * finish first, inside the section's lock, so they measure this test's pages only; the section
 * ends; then UnawaitedAssertionError names each one and its line.
 */
export async function endSection(measurement: Measurement): Promise<void> {
  const section = sectionOf(measurement)
  if (section.closing) return
  section.closing = true
  const unawaited = [...section.running]
  await Promise.allSettled(unawaited.map((entry) => entry.done))
  await measurement.end()
  if (unawaited.length) throw new UnawaitedAssertionError(unawaited.map(({ call, site }) => ({ call: callText(call), site })))
}
