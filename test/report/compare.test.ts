import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { compareReports } from '../../src/report/compare.js'
import type { ReportRecord, ReportStack, ReportTest } from '../../src/report/schema.js'
import type { KernelTag } from '../../src/kernel-build/tag.js'
import { reportFiles, reportOf } from './fixtures.js'

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(argv, (text) => out.push(text), (text) => err.push(text))
  return { code, out: out.join('\n'), err: err.join('\n') }
}

const ENTRY = ['full_proxy_write', 'vfs_write', 'ksys_write', 'do_syscall_64']
const ALLOC = ['get_page_from_freelist', '__alloc_frozen_pages_noprof', 'alloc_pages_mpol', 'alloc_pages_noprof']

/** A stack as a report lists it, handle and trimmed frames from the boot that measured it. */
function stack(handle: number, pages: number, functions: string[]): ReportStack {
  return { handle, pages, frames: ['…', ...functions.filter((fn) => !ALLOC.includes(fn)).slice(0, 3), '…'], functions }
}

function record(pages: number, top: ReportStack[], selector = 'full_proxy_write'): ReportRecord {
  const amount = { pages, bytes: pages * 4096 }
  return {
    call: "toAllocateAtMost('300 pages')",
    negated: false,
    selector,
    expected: 'at most 300 pages (1.17 MiB)',
    budget: { max: { pages: 300, bytes: 300 * 4096 } },
    measured: amount,
    headroom: { pages: 300 - pages, bytes: (300 - pages) * 4096 },
    held: pages <= 300,
    location: { file: 'test/probe.test.ts', line: 12 },
    top,
    baseline: null,
  }
}

function test_(project: string, records: ReportRecord[], kernel: KernelTag, title = 'the probe holds what it was asked for'): ReportTest {
  return { file: 'test/probe.test.ts', title: ['probe', title], project, status: 'passed', records, kernel }
}

const baseKernel: KernelTag = { version: '7.2.13', source: 'tree /src/linux git 1111111111aa', config: '9f8e7d6c5b4a3f2e' }
const candidateKernel: KernelTag = { version: '7.2.13', source: 'tree /src/linux git 2222222222bb', config: '9f8e7d6c5b4a3f2e' }

// The same paths on two builds: offsets differ, and the candidate's compiler cloned the fill
// function (.constprop.0) where the base's did not; handles differ as they do on every boot.
const fill = [...ALLOC, 'page_budget_probe_fill', 'page_budget_probe_write', ...ENTRY]
const fillClone = [...ALLOC, 'page_budget_probe_fill.constprop.0', 'page_budget_probe_write', ...ENTRY]
const slab = ['get_page_from_freelist', 'allocate_slab', '___slab_alloc', '__kmalloc_noprof', 'page_budget_probe_write', ...ENTRY]
const log = [...ALLOC, 'page_budget_probe_log', 'page_budget_probe_write', ...ENTRY]

const base = reportOf([test_('base', [record(258, [stack(101, 256, fill), stack(102, 2, slab)])], baseKernel)])
const candidate = reportOf([test_('candidate', [record(530, [stack(9001, 512, fillClone), stack(9002, 18, log)])], candidateKernel)])

describe('compareReports', () => {
  it('pairs stacks across boots by function names, suffixes dropped, and sorts them by growth', () => {
    const comparison = compareReports(base, candidate, '5%')
    expect(comparison.base.kernels).toEqual([baseKernel])
    expect(comparison.candidate.kernels).toEqual([candidateKernel])
    const [assertion] = comparison.assertions
    // Projects named apart (base, candidate) still pair: tests pair by file and title.
    expect(assertion).toMatchObject({ selector: 'full_proxy_write', change: { pages: 272, bytes: 272 * 4096 }, over: true })
    const named = (functions: string[]) => functions.find((fn) => /^(page_budget_probe_(fill|log)|__kmalloc)/.test(fn))
    expect(assertion!.stacks.map(({ functions, base, candidate, growth, status }) => [named(functions), base, candidate, growth, status])).toEqual([
      ['page_budget_probe_fill.constprop.0', 256, 512, 256, 'grew'],
      ['page_budget_probe_log', null, 18, 18, 'new'],
      ['__kmalloc_noprof', 2, null, -2, 'gone'],
    ])
    expect(assertion!.stacks.every((s) => !s.uncertain)).toBe(true)
  })

  it('adds up stacks with the same names (one function allocating at two offsets)', () => {
    const twice = reportOf([test_('', [record(300, [stack(1, 200, fill), stack(2, 100, fill)])], candidateKernel)])
    const [assertion] = compareReports(base, twice, '5%').assertions
    expect(assertion!.stacks[0]).toMatchObject({ base: 256, candidate: 300, growth: 44, status: 'grew' })
  })

  it('lists assertions on one side only, and says when a stack may sit below a full list', () => {
    const full = Array.from({ length: 10 }, (_, i) => stack(i, 100 - i, [...ALLOC, `other_${i}`, ...ENTRY]))
    const wide = reportOf([
      test_('', [record(1000, full, 'all stacks')], candidateKernel),
      test_('', [record(5, [])], candidateKernel, 'only in the candidate'),
    ])
    const narrow = reportOf([test_('', [record(10, [stack(5, 10, log)], 'all stacks')], baseKernel)])
    const comparison = compareReports(narrow, wide, '5%')
    const only = comparison.assertions.find((a) => a.title[1] === 'only in the candidate')!
    expect(only).toMatchObject({ base: null, change: null, over: false })
    const all = comparison.assertions.find((a) => a.selector === 'all stacks')!
    // The candidate listed 10 stacks, as many as a record keeps: the base's log stack may be below them.
    expect(all.stacks.find((s) => s.status === 'gone')).toMatchObject({ functions: log, uncertain: true })
    // The base listed one stack: the candidate's others are new there for sure.
    expect(all.stacks.filter((s) => s.status === 'new').every((s) => !s.uncertain)).toBe(true)
  })

  it('passes within --max-increase, as an amount or a share', () => {
    expect(compareReports(base, candidate, '110%').breaches).toEqual([])
    expect(compareReports(base, candidate, '2 MiB').breaches).toEqual([])
    expect(compareReports(base, candidate, '100 pages').breaches).toHaveLength(1)
    expect(compareReports(candidate, base, '0%').breaches).toEqual([])
  })
})

describe('page-budget compare', () => {
  it('prints the kernels, the change and the stacks by growth, trimmed as failure messages trim them; exit 1 beyond --max-increase', async () => {
    const files = reportFiles({ base, candidate })
    const { code, out } = await cli('compare', files.base!, files.candidate!)
    expect(code).toBe(1)
    expect(out).toContain('base:      7.2.13, tree /src/linux git 1111111111aa, config 9f8e7d6c5b4a3f2e')
    expect(out).toContain('candidate: 7.2.13, tree /src/linux git 2222222222bb, config 9f8e7d6c5b4a3f2e')
    expect(out).toContain("probe > the probe holds what it was asked for: toAllocateAtMost('300 pages') on full_proxy_write\n  258 -> 530 pages (1.01 MiB -> 2.07 MiB): +272 pages (+105.4%)  OVER")
    const lines = out.split('\n')
    const grew = lines.findIndex((line) => line.includes('+256 pages (1 MiB) (256 -> 512)'))
    // The allocator's frames and the syscall entry are cut, as in a failure message.
    expect(lines.slice(grew + 1, grew + 8).map((line) => line.trim())).toEqual(['…', 'page_budget_probe_fill.constprop.0', 'page_budget_probe_write', 'full_proxy_write', 'vfs_write', 'ksys_write', '…'])
    expect(out).toContain('+18 pages (72 KiB), new: 0 -> 18')
    expect(out).toContain('-2 pages (-8 KiB), gone: 2 -> 0')
    expect(out.split('\n').at(-1)).toBe('page-budget compare: 1 assertion: 1 grew beyond --max-increase')
  })

  it('exits 0 when nothing grew beyond --max-increase, in the other direction too', async () => {
    const files = reportFiles({ base, candidate })
    expect((await cli('compare', files.base!, files.candidate!, '--max-increase', '110%')).code).toBe(0)
    const reversed = await cli('compare', files.candidate!, files.base!)
    expect(reversed.code).toBe(0)
    expect(reversed.out.split('\n').at(-1)).toBe('page-budget compare: 1 assertion: none grew beyond --max-increase')
  })

  it('prints JSON with --json and workflow annotations with --format github', async () => {
    const files = reportFiles({ base, candidate })
    const json = await cli('compare', files.base!, files.candidate!, '--json')
    expect(json.code).toBe(1)
    const parsed = JSON.parse(json.out)
    expect(parsed.assertions[0].stacks[0]).toMatchObject({ growth: 256, status: 'grew' })
    expect(parsed.breaches).toHaveLength(1)
    const github = await cli('compare', files.base!, files.candidate!, '--format', 'github')
    expect(github.out).toContain("::error file=test/probe.test.ts,line=12,title=page-budget::probe > the probe holds what it was asked for: toAllocateAtMost('300 pages') on full_proxy_write: 1.01 MiB -> 2.07 MiB (+105.4%25), more than the allowed increase of 51.6 KiB")
  })

  it('exits 2 on bad arguments and 1 on a file that is not a report', async () => {
    const files = reportFiles({ base, bad: '{' })
    for (const argv of [['compare', files.base!], ['compare', files.base!, files.base!, '--max-increase', 'lots'], ['compare', files.base!, files.base!, '--format', 'xml']]) {
      const { code, err } = await cli(...argv)
      expect(code).toBe(2)
      expect(err).toContain('usage:\npage-budget compare BASE_REPORT CANDIDATE_REPORT')
    }
    expect((await cli('compare', files.base!, files.bad!)).code).toBe(1)
  })
})
