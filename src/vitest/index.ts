import { test as base, expect } from 'vitest'
import { UsageError } from '../errors.js'
import type { PageBudgetConfig } from '../session/config.js'
import type { Measurement } from '../session/measurement.js'
import { openSession } from '../session/open.js'
import { sessionKernel } from '../session/kernel.js'
import type { Session } from '../session/session.js'
import { bindTest, endSection, isClosing, onAssertion, recordsOf } from '../verdict/section.js'
import { budgetAnnotation } from './annotation.js'
import './expect.js'
import { testIdentity } from './identity.js'

const emptyConfig: PageBudgetConfig = {}

/**
 * Vitest's `test` with the `pageOwner` fixture. The session is worker-scoped (probing and the
 * stacks cache are paid once per worker); each test that asks for `pageOwner` gets a measured
 * section that holds the cross-worker lock from its start snapshot to its end.
 */
const withPageOwner = () =>
  base
    // The project's config, from the pageBudget() plugin (Vitest's provide/inject).
    .extend('pageBudgetConfig', { scope: 'worker', injected: true }, emptyConfig)
    // The worker's session on the target: probed once, stacks cached once.
    .extend('pageBudget', { scope: 'worker' }, async ({ pageBudgetConfig }, { onCleanup }): Promise<Session> => {
      const session = await openSession(pageBudgetConfig)
      onCleanup(() => session.close())
      return session
    })
    // The test's measured section: snapshot at start, marks, deltas, exec.
    .extend('pageOwner', async ({ pageBudget, task, annotate }, { onCleanup }): Promise<Measurement> => {
      // The test's timeout runs from about now (the lock wait below counts towards it).
      const deadline = task.timeout > 0 ? Date.now() + task.timeout : undefined
      const measurement = await pageBudget.begin()
      bindTest(measurement, testIdentity(task, expect.getState().snapshotState.snapshotUpdateState, deadline))
      // Each budget as a test annotation, made while the assertion is awaited so Vitest finds the
      // test's line on the stack; one settling as the section closes was never awaited, and the
      // section's UnawaitedAssertionError speaks for it.
      onAssertion(measurement, (_call, _site, record) =>
        record.then((judged) => {
          if (isClosing(measurement)) return undefined
          const { message, type } = budgetAnnotation(judged)
          return annotate(message, type)
        }),
      )
      onCleanup(async () => {
        // The reporter reads the budgets from the test's meta after the run.
        const records = recordsOf(measurement)
        if (records.length) {
          task.meta.pageBudget = [...records]
          task.meta.pageBudgetKernel = await sessionKernel(pageBudget)
        }
        await endSection(measurement)
      })
      return measurement
    })

/**
 * Vitest's test API exists only inside a test run: anywhere else, as in a vitest.config that
 * imports `pageBudget` from this entry, `test.extend` throws "failed to find the current
 * suite". There `test` is a stand-in that says where it works (Vitest's error as the cause),
 * and the plugin below loads as it does from page-budget/vitest/plugin.
 */
function defineTest(): ReturnType<typeof withPageOwner> {
  try {
    return withPageOwner()
  } catch (cause) {
    const outsideTestRun = (): never => {
      throw new UsageError("page-budget/vitest's test runs only in test files, under the vitest command", {
        hint: "in vitest.config or a globalSetup file import { pageBudget } from 'page-budget/vitest/plugin'",
        cause,
      })
    }
    // The stand-in only throws, so it may wear the fixture test's type.
    return outsideTestRun as unknown as ReturnType<typeof withPageOwner>
  }
}

export const test = defineTest()

export { expect }
export type { PageBudgetConfig } from '../session/config.js'
export type { BaselineOptions, BudgetOptions, PageBudgetMatchers } from '../verdict/matchers.js'
export type { Budget, Tolerance } from '../amount.js'
export { pageBudget } from './plugin.js'
export type { BudgetRecord } from '../verdict/record.js'
