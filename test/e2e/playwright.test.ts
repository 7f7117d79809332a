import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { inflateRawSync } from 'node:zlib'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { findBuiltKernel } from '../../src/kernel-build/build.js'
import { parseReport } from '../../src/report/read.js'
import { QEMU } from '../../src/target/qemu/qemu.js'
import { runPlaywright } from '../playwright/run.js'

/**
 * examples/playwright on the QEMU target, as a user runs it: one VM booted by Playwright's
 * globalSetup, the dd budget passing, the too-small budget failing (marked expected to fail),
 * the HTML report carrying the page-budget attachments. Skipped without a kernel or QEMU,
 * except under CI=true, where the missing piece fails the run.
 */
const kernel = process.env.PAGE_BUDGET_KERNEL ?? findBuiltKernel()
const hasQemu = (await execa(QEMU, ['--version'], { reject: false })).exitCode === 0

/** The files of a zip (the HTML report embeds its data as one), from the central directory. */
function unzip(zip: Buffer): Map<string, string> {
  const files = new Map<string, string>()
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  let entry = zip.readUInt32LE(end + 16)
  for (let i = 0; i < zip.readUInt16LE(end + 10); i++) {
    const method = zip.readUInt16LE(entry + 10)
    const size = zip.readUInt32LE(entry + 20)
    const nameLength = zip.readUInt16LE(entry + 28)
    const offset = zip.readUInt32LE(entry + 42)
    const name = zip.toString('utf8', entry + 46, entry + 46 + nameLength)
    const start = offset + 30 + zip.readUInt16LE(offset + 26) + zip.readUInt16LE(offset + 28)
    const data = zip.subarray(start, start + size)
    files.set(name, (method === 8 ? inflateRawSync(data) : data).toString('utf8'))
    entry += 46 + nameLength + zip.readUInt16LE(entry + 30) + zip.readUInt16LE(entry + 32)
  }
  return files
}

describe.skipIf(!(kernel && hasQemu) && !process.env.CI)('examples/playwright on the QEMU target', () => {
  it('passes the dd budget, fails the too-small one, and attaches the measurements to the HTML report', { timeout: 600_000 }, async () => {
    const run = await runPlaywright('examples/playwright')
    expect(run.exitCode, run.output).toBe(0)
    expect(run.output).toMatch(/page-budget: 5 budget assertions, 1 failed/)

    const report = parseReport(JSON.parse(await readFile(run.report, 'utf8')), run.report)
    expect(report.complete).toBe(true)
    const byTitle = new Map(report.tests.map((test) => [test.title.join(' > '), test]))
    const dd = byTitle.get('256 MiB to tmpfs stays in budget, and rm frees it')!
    expect(dd.status).toBe('passed')
    expect(dd.records.map((r) => [r.call, r.held])).toEqual([
      ["toAllocateAtMost('258 MiB')", true],
      ["toAllocateAtLeast('255 MiB')", true],
      ['toFreeAll()', true],
    ])
    expect(dd.records[0]!.location).toEqual({ file: 'examples/playwright/tmpfs.spec.ts', line: 8, column: 27 })
    expect(dd.records[0]!.top[0]!.frames).toContain('shmem_write_begin')
    const over = byTitle.get('256 MiB to tmpfs does not fit in 200 MiB')!
    expect(over.status).toBe('failed')
    expect(over.records[0]).toMatchObject({ call: "toAllocateAtMost('200 MiB')", held: false })
    expect(over.records[0]!.headroom!.pages).toBeLessThan(-14000)
    expect(byTitle.get('a noisy workload, judged on its median run')!.status).toBe('passed')

    // The HTML report embeds its data as a base64 zip; the failing test's result carries both attachments.
    const html = await readFile(join(run.html, 'index.html'), 'utf8')
    const zip = Buffer.from(/data:application\/zip;base64,([A-Za-z0-9+/=]+)/.exec(html)![1]!, 'base64')
    type Attachment = { name: string; contentType: string; body?: string }
    type TestFile = { tests: { title: string; results: { attachments: Attachment[] }[] }[] }
    const tests = [...unzip(zip)].filter(([name]) => name !== 'report.json').flatMap(([, text]) => (JSON.parse(text) as TestFile).tests)
    const attachments = tests.find((test) => test.title === '256 MiB to tmpfs does not fit in 200 MiB')!.results[0]!.attachments
    const json = attachments.find((a) => a.name === 'page-budget.json')!
    expect(json.contentType).toBe('application/json')
    expect(JSON.parse(json.body!).records[0]).toMatchObject({ matcher: 'toAllocateAtMost', args: "'200 MiB'", negated: false, selector: 'shmem_*', held: false })
    // The top stack's first kept frame: shmem_alloc_folio where the kernel keeps it out of line
    // (the test kernel does since it is built with allocation profiling), else its caller.
    expect(attachments.find((a) => a.name === 'page-budget.txt')!.body).toMatch(/shmem_\*\s+<= 200 MiB\s+256(\.\d+)? MiB\s+-56(\.\d+)? MiB\s+shmem_(alloc|get)_folio.* FAILED/)
  })
})
