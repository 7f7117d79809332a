import { describe, expect, it } from 'vitest'
import '../../src/vitest/expect.js'
import { UnawaitedAssertionError, UsageError } from '../../src/errors.js'
import { matchers } from '../../src/verdict/matchers.js'
import { bindTest, endSection, onAssertion } from '../../src/verdict/section.js'
import { callText, type BudgetRecord } from '../../src/verdict/record.js'
import { captureSession } from '../session/replay-session.js'
import { DD_HANDLE, failure, plain, rejection } from '../helpers.js'

const shmemWrite = { frames: ['shmem_*', 'vfs_write'] }

/** The capture's dd test: start at `before`, the workload ran, now at `after`. */
async function afterDd() {
  const { session, replay } = await captureSession()
  const pageOwner = await session.begin()
  replay.step('after')
  return { session, replay, pageOwner }
}


describe('toAllocateAtMost', () => {
  it('passes within the budget', async () => {
    const { pageOwner } = await afterDd()
    await expect(pageOwner).toAllocateAtMost('257 MiB', shmemWrite)
  })
  it('fails over the budget, naming the stack', async () => {
    const { pageOwner } = await afterDd()
    const message = await failure(expect(pageOwner).toAllocateAtMost('200 MiB', shmemWrite))
    expect(message).toContain(`handle ${DD_HANDLE}: +65536 pages (256 MiB)`)
    expect(message).toMatchInlineSnapshot(`
      "expect(pageOwner).toAllocateAtMost('200 MiB')

      Stacks:   shmem_* & vfs_write
      Expected: at most 51200 pages (200 MiB)
      Received: 65536 pages (256 MiB), 14336 pages (56 MiB) over

      Top stacks (1 of 1 selected that changed):
        handle 1572869: +65536 pages (256 MiB) (0 -> 65536)
            …
            shmem_get_folio_gfp.constprop.0
            shmem_get_folio
            shmem_write_begin
            generic_perform_write
            shmem_file_write_iter
            vfs_write
            ksys_write
            …

      Compared: 'start' -> 'expect' (… s apart, boot cf9880ef)
                all stacks +65694 pages (256.62 MiB); read through show_handles (kernel stack handles; stacks resolved lazily)"
    `)
  })
  it('.not passes over the budget', async () => {
    const { pageOwner } = await afterDd()
    await expect(pageOwner).not.toAllocateAtMost('200 MiB', shmemWrite)
  })
  it('.not fails within the budget', async () => {
    const { pageOwner } = await afterDd()
    expect(await failure(expect(pageOwner).not.toAllocateAtMost('257 MiB', shmemWrite))).toMatchInlineSnapshot(`
      "expect(pageOwner).not.toAllocateAtMost('257 MiB')

      Stacks:   shmem_* & vfs_write
      Expected: not at most 65792 pages (257 MiB)
      Received: 65536 pages (256 MiB)

      Top stacks (1 of 1 selected that changed):
        handle 1572869: +65536 pages (256 MiB) (0 -> 65536)
            …
            shmem_get_folio_gfp.constprop.0
            shmem_get_folio
            shmem_write_begin
            generic_perform_write
            shmem_file_write_iter
            vfs_write
            ksys_write
            …

      Compared: 'start' -> 'expect' (… s apart, boot cf9880ef)
                all stacks +65694 pages (256.62 MiB); read through show_handles (kernel stack handles; stacks resolved lazily)"
    `)
  })
  it('counts a tolerance', async () => {
    const { pageOwner } = await afterDd()
    await expect(pageOwner).toAllocateAtMost('250 MiB', { ...shmemWrite, tolerance: '3%' })
    await expect(pageOwner).not.toAllocateAtMost('250 MiB', { ...shmemWrite, tolerance: '2%' })
  })
  it('takes the default tolerance from the session options', async () => {
    const { session, replay } = await captureSession({ tolerance: '6 MiB' })
    const pageOwner = await session.begin()
    replay.step('after')
    await expect(pageOwner).toAllocateAtMost('250 MiB', shmemWrite)
    await expect(pageOwner).not.toAllocateAtMost('250 MiB', { ...shmemWrite, tolerance: 0 })
  })
})

describe('toAllocateAtLeast', () => {
  it('passes and fails in both directions', async () => {
    const { pageOwner } = await afterDd()
    await expect(pageOwner).toAllocateAtLeast('255 MiB', shmemWrite)
    await expect(pageOwner).not.toAllocateAtLeast('257 MiB', shmemWrite)
    expect(await failure(expect(pageOwner).toAllocateAtLeast('257 MiB', shmemWrite))).toMatchInlineSnapshot(`
      "expect(pageOwner).toAllocateAtLeast('257 MiB')

      Stacks:   shmem_* & vfs_write
      Expected: at least 65792 pages (257 MiB)
      Received: 65536 pages (256 MiB), 256 pages (1 MiB) short

      Top stacks (1 of 1 selected that changed):
        handle 1572869: +65536 pages (256 MiB) (0 -> 65536)
            …
            shmem_get_folio_gfp.constprop.0
            shmem_get_folio
            shmem_write_begin
            generic_perform_write
            shmem_file_write_iter
            vfs_write
            ksys_write
            …

      Compared: 'start' -> 'expect' (… s apart, boot cf9880ef)
                all stacks +65694 pages (256.62 MiB); read through show_handles (kernel stack handles; stacks resolved lazily)"
    `)
    expect(await failure(expect(pageOwner).not.toAllocateAtLeast('255 MiB', shmemWrite))).toContain('Expected: not at least 65280 pages (255 MiB)')
  })
})

describe('toAllocateBetween', () => {
  it('passes and fails in both directions', async () => {
    const { pageOwner } = await afterDd()
    await expect(pageOwner).toAllocateBetween('255 MiB', '258 MiB', shmemWrite)
    await expect(pageOwner).not.toAllocateBetween('100 MiB', '200 MiB', shmemWrite)
    expect(await failure(expect(pageOwner).toAllocateBetween('100 MiB', '200 MiB', shmemWrite))).toContain('14336 pages (56 MiB) over')
    expect(await failure(expect(pageOwner).not.toAllocateBetween('255 MiB', '258 MiB', shmemWrite))).toContain('Expected: not between')
  })
  it('throws on bounds the wrong way round', async () => {
    const { pageOwner } = await afterDd()
    await expect(expect(pageOwner).toAllocateBetween('2 MiB', '1 MiB')).rejects.toThrow(UsageError)
  })
})

describe('toFreeAll', () => {
  it('passes once the pages are freed, and fails while they are held', async () => {
    const { pageOwner, replay } = await afterDd()
    await expect(pageOwner).not.toFreeAll(shmemWrite)
    expect(await failure(expect(pageOwner).toFreeAll(shmemWrite))).toMatchInlineSnapshot(`
      "expect(pageOwner).toFreeAll()

      Stacks:   shmem_* & vfs_write
      Expected: no pages still held
      Received: 65536 pages (256 MiB), 65536 pages (256 MiB) over

      Top stacks (1 of 1 selected that changed):
        handle 1572869: +65536 pages (256 MiB) (0 -> 65536)
            …
            shmem_get_folio_gfp.constprop.0
            shmem_get_folio
            shmem_write_begin
            generic_perform_write
            shmem_file_write_iter
            vfs_write
            ksys_write
            …

      Compared: 'start' -> 'expect' (… s apart, boot cf9880ef)
                all stacks +65694 pages (256.62 MiB); read through show_handles (kernel stack handles; stacks resolved lazily)"
    `)
    replay.step('freed')
    await expect(pageOwner).toFreeAll(shmemWrite)
    expect(await failure(expect(pageOwner).not.toFreeAll(shmemWrite))).toContain('Expected: not no pages still held')
  })
  it('waits up to settle ms for the kernel to finish freeing', async () => {
    const { pageOwner, replay } = await afterDd()
    setTimeout(() => replay.step('freed'), 300)
    await expect(pageOwner).toFreeAll({ ...shmemWrite, settle: 5000 })
    await expect(expect(pageOwner).toFreeAll({ settle: -1 })).rejects.toThrow(UsageError)
  })
  it('drains page batches only where the target can run commands', async () => {
    const { pageOwner } = await afterDd()
    await expect(expect(pageOwner).toFreeAll({ drain: true })).rejects.toThrow(/cannot drain/)
  })
  it('does not wait with settle: 0', async () => {
    const { pageOwner, replay } = await afterDd()
    setTimeout(() => replay.step('freed'), 300)
    await expect(pageOwner).not.toFreeAll({ ...shmemWrite, settle: 0 })
  })
  it('polls toward the outcome asserted: .not returns at the first sample that shows pages held', async () => {
    const { pageOwner, session } = await afterDd()
    const before = session.samples
    await expect(pageOwner).not.toFreeAll({ ...shmemWrite, settle: 5000 })
    expect(session.samples - before).toBe(1)
    // The positive form keeps polling for as long as settle allows, and then fails.
    const polled = session.samples
    await failure(expect(pageOwner).toFreeAll({ ...shmemWrite, settle: 350 }))
    expect(session.samples - polled).toBeGreaterThanOrEqual(3)
  })
  it('.not keeps polling while the pages are freed, up to settle', async () => {
    const { pageOwner, replay, session } = await afterDd()
    replay.step('freed')
    const before = session.samples
    expect(await failure(expect(pageOwner).not.toFreeAll({ ...shmemWrite, settle: 350 }))).toContain('Expected: not no pages still held')
    expect(session.samples - before).toBeGreaterThanOrEqual(3)
  })
  it("stops polling in time for the test's own deadline", async () => {
    const { pageOwner, session } = await afterDd()
    // The test times out in 1 s: too soon for any re-sample with room for the verdict.
    bindTest(pageOwner, { file: 'dd.test.ts', title: ['dd'], updateBaselines: 'none', deadline: Date.now() + 1000 })
    const before = session.samples
    await failure(expect(pageOwner).toFreeAll({ ...shmemWrite, settle: 60_000 }))
    expect(session.samples - before).toBe(1)
  })
  it('measures from a mark', async () => {
    const { pageOwner, replay } = await afterDd()
    await pageOwner.mark('written')
    replay.step('freed')
    const delta = await pageOwner.delta({ ...shmemWrite, since: 'written' })
    expect(delta.pages).toBe(-65536)
    await expect(pageOwner).toFreeAll({ ...shmemWrite, since: 'written' })
  })
})

describe('an assertion the test does not await', () => {
  it("fails the test's section when it ends, naming the assertion and its line", async () => {
    const { pageOwner } = await afterDd()
    // Over budget, and never awaited: the section's end reports it, and nothing rejects later.
    void expect(pageOwner).toAllocateAtMost('1 MiB', shmemWrite)
    const line = new Error().stack!.split('\n')[1]!.match(/:(\d+):\d+\)?$/)![1]
    const error = await rejection(endSection(pageOwner))
    expect(error).toBeInstanceOf(UnawaitedAssertionError)
    expect((error as UnawaitedAssertionError).code).toBe('E_NOT_AWAITED')
    expect(plain(error.message)).toBe(
      `an assertion was not awaited; the test ended while it was still measuring:\n  expect(pageOwner).toAllocateAtMost('1 MiB') at test/verdict/matchers.test.ts:${Number(line) - 1}\n  hint: page-budget's matchers are async: write \`await expect(pageOwner)...\`, or the test passes before the budget is judged`,
    )
  })
  it('leaves awaited assertions alone', async () => {
    const { pageOwner } = await afterDd()
    await expect(pageOwner).toAllocateAtMost('300 MiB', shmemWrite)
    await expect(expect(pageOwner).toAllocateAtMost('1 MiB', shmemWrite)).rejects.toThrow(/over/)
    await expect(endSection(pageOwner)).resolves.toBeUndefined()
  })
})

describe('misuse throws instead of failing', () => {
  it('rejects a bad budget before reading the kernel', async () => {
    const { pageOwner, session } = await afterDd()
    const samples = session.samples
    await expect(expect(pageOwner).toAllocateAtMost('lots')).rejects.toThrow(UsageError)
    expect(session.samples).toBe(samples)
  })
  it('rejects a receiver that is not pageOwner', async () => {
    await expect(expect({}).toAllocateAtMost('1 MiB')).rejects.toThrowErrorMatchingInlineSnapshot(`
      [UsageError: toAllocateAtMost expects the pageOwner fixture, got Object
        hint: write \`await expect(pageOwner).toAllocateAtMost(...)\` with pageOwner from the test context]
    `)
  })
  it('rejects an unknown mark', async () => {
    const { pageOwner } = await afterDd()
    await expect(expect(pageOwner).toFreeAll({ since: 'nope' })).rejects.toThrow(/no mark named "nope"/)
  })
})

describe('the framework-free core', () => {
  it('returns pass and the message, without flipping pass for .not, and no actual/expected for a framework to diff', async () => {
    const { pageOwner } = await afterDd()
    const positive = await matchers.toAllocateAtMost.call({ isNot: false }, pageOwner, '200 MiB', shmemWrite)
    const negated = await matchers.toAllocateAtMost.call({ isNot: true }, pageOwner, '200 MiB', shmemWrite)
    expect(positive.pass).toBe(false)
    expect(negated.pass).toBe(false)
    // Both frameworks print a diff of actual and expected under the message when a result has them.
    expect(Object.keys(positive).sort()).toEqual(['message', 'pass'])
    expect(negated.message()).toContain('.not.toAllocateAtMost')
  })
})

describe('a section\'s assertion listeners', () => {
  it('hear each assertion as it starts, with the record it files; misuse rejects the record and the matcher alike', async () => {
    const { pageOwner } = await afterDd()
    const heard: Array<[string, Promise<BudgetRecord>]> = []
    onAssertion(pageOwner, async (call, _site, record) => {
      heard.push([callText(call), record])
      await record.catch(() => undefined)
    })
    const kept = expect(pageOwner).toAllocateAtMost('257 MiB', shmemWrite)
    // Synchronously, in the matcher call: frameworks open their step there.
    expect(heard.map(([call]) => call)).toEqual([".toAllocateAtMost('257 MiB')"])
    await kept
    await expect(pageOwner).not.toAllocateAtMost('257 MiB', shmemWrite).catch(() => undefined)
    expect(await Promise.all(heard.map(([, record]) => record.then((r) => r.held)))).toEqual([true, false])
    await expect(expect(pageOwner).toAllocateAtMost('lots', shmemWrite)).rejects.toThrow(UsageError)
    await expect(heard[2]![1]).rejects.toThrow(UsageError)
  })
})
