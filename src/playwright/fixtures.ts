import { resolve } from 'node:path'
import { test as base, type TestInfo } from '@playwright/test'
import type { PageBudgetConfig } from '../session/config.js'
import { reportTest } from '../report/records.js'
import { summaryTable } from '../report/summary.js'
import type { Measurement } from '../session/measurement.js'
import { openSession } from '../session/open.js'
import { sessionKernel } from '../session/kernel.js'
import type { Session } from '../session/session.js'
import type { KernelTag } from '../kernel-build/tag.js'
import { callText } from '../verdict/record.js'
import { bindTest, endSection, onAssertion, recordsOf, type AssertionListener, type TestIdentity } from '../verdict/section.js'
import { recordsBody, RECORDS_ATTACHMENT } from './attachment.js'
import { withSharedVm } from './shared-vm.js'

export interface PageBudgetWorkerFixtures {
  /** The project's page-budget config: `use: { pageBudgetConfig: { target: { kind: 'qemu' } } }`. */
  pageBudgetConfig: PageBudgetConfig
  /** The worker's session on the target: probed once, stacks cached once. */
  pageBudget: Session
}

export interface PageBudgetTestFixtures {
  /** The test's measured section: snapshot at start, marks, deltas, exec. */
  pageOwner: Measurement
}

/**
 * Playwright's snapshot update modes, as its toMatchSnapshot treats them: `all` rewrites every
 * snapshot, `changed` (`-u`) those that do not match, `missing` writes only missing ones, and
 * with no flag (`default`) a missing one is written and its test fails.
 */
const UPDATE: Record<TestInfo['config']['updateSnapshots'], TestIdentity['updateBaselines']> = {
  all: 'all',
  changed: 'changed',
  missing: 'new',
  default: 'new-fails',
  none: 'none',
}

/** A worker may boot its own VM when no globalSetup booted one: allow for a slow TCG boot. */
const SESSION_TIMEOUT = 300_000

/**
 * Playwright's `test` with the `pageOwner` fixture. The session is worker-scoped; each test
 * that asks for `pageOwner` holds the cross-worker lock from its start snapshot to its end, and
 * leaves its budget records as attachments (JSON for reporters, a table for people).
 */
export const test = base.extend<PageBudgetTestFixtures, PageBudgetWorkerFixtures>({
  pageBudgetConfig: [{}, { option: true, scope: 'worker' }],
  pageBudget: [
    async ({ pageBudgetConfig }, use) => {
      const session = await openSession(withSharedVm(pageBudgetConfig))
      try {
        await use(session)
      } finally {
        await session.close()
      }
    },
    { scope: 'worker', timeout: SESSION_TIMEOUT },
  ],
  pageOwner: async ({ pageBudget }, use, testInfo) => {
    // Worked out before the test, so the attachment after it waits on nothing but the records.
    const kernel = sessionKernel(pageBudget)
    // The test's timeout runs from about now (the lock wait below counts towards it); 0 is none.
    const deadline = testInfo.timeout > 0 ? Date.now() + testInfo.timeout : undefined
    const measurement = await pageBudget.begin()
    bindTest(measurement, {
      file: testInfo.file,
      title: testInfo.titlePath.slice(1),
      updateBaselines: UPDATE[testInfo.config.updateSnapshots],
      ...(deadline !== undefined && { deadline }),
    })
    onAssertion(measurement, stepPerBudget)
    try {
      await use(measurement)
    } finally {
      try {
        await attachRecords(measurement, testInfo, await kernel)
      } finally {
        await endSection(measurement)
      }
    }
  },
})

/**
 * Each budget assertion as a boxed step (inside Playwright's own expect step), at the line that
 * made it, failed when the budget broke: the HTML report and every reporter's step tree show
 * one per budget, with its verdict. The test's outcome is the matcher's to decide, so the
 * step's own rejection is dropped; a misuse rejects the matcher itself.
 */
const stepPerBudget: AssertionListener = (call, site, record) =>
  base
    .step(
      `expect(pageOwner)${callText(call)}`,
      async () => {
        const judged = await record
        if (!judged.held) throw new Error(`${judged.selector}: expected ${judged.negated ? 'not ' : ''}${judged.expected}, measured ${judged.measured.pages} pages`)
      },
      { box: true, ...(site && { location: { file: resolve(site.file), line: site.line, column: site.column ?? 1 } }) },
    )
    .catch(() => undefined)

async function attachRecords(measurement: Measurement, testInfo: TestInfo, kernel: KernelTag): Promise<void> {
  const records = [...recordsOf(measurement)]
  if (records.length === 0) return
  await testInfo.attach(RECORDS_ATTACHMENT, { body: recordsBody({ records, kernel }), contentType: 'application/json' })
  const table = summaryTable([reportTest({ file: testInfo.file, title: testInfo.titlePath.slice(1), project: '' }, 'passed', records)])
  await testInfo.attach('page-budget.txt', { body: `${table}\n`, contentType: 'text/plain' })
}
