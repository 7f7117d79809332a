import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CountThresholdError, FileMissingError, PageOwnerDisabledError, PermissionError, UnsupportedKernelError } from '../../src/errors.js'
import { parseShowHandles } from '../../src/format/show-handles.js'
import { Session } from '../../src/session/session.js'
import { CommandTarget } from '../../src/target/command.js'
import { shellQuote } from '../../src/target/exec.js'
import { LocalTarget } from '../../src/target/local.js'
import { probe } from '../../src/target/probe.js'
import { ReplayTarget } from '../../src/target/replay.js'
import { readText } from '../../src/target/read.js'
import { fakeDebugfs, recording } from '../fake-kernel.js'
import { CAPTURE, DD_HANDLE, tempDir } from '../helpers.js'

describe('ReplayTarget', () => {
  it('serves the files of the current step, and moves between steps', async () => {
    const replay = new ReplayTarget({ dir: CAPTURE, step: 'before' })
    expect((await parseShowHandles(replay.read('show_handles'), 'x')).get(DD_HANDLE)).toBeUndefined()
    replay.step('after')
    expect((await parseShowHandles(replay.read('show_handles'), 'x')).get(DD_HANDLE)).toBe(65536)
    expect(replay.steps()).toEqual(['after', 'before', 'freed'])
  })
  it('answers show_stacks_handles from any step (stacks are never evicted within a boot)', async () => {
    const replay = new ReplayTarget({ dir: CAPTURE, step: 'before' })
    expect(await replay.exists('show_stacks_handles')).toBe(true)
    expect(await replay.exists('show_stacks')).toBe(false)
  })
  it('names what is missing', async () => {
    const replay = new ReplayTarget({ dir: CAPTURE, step: 'before' })
    expect(() => replay.step('later')).toThrow(FileMissingError)
    await expect(readText(replay, 'cmdline')).rejects.toThrow(FileMissingError)
    expect(() => new ReplayTarget({ dir: '/nonexistent' })).toThrow(FileMissingError)
  })
})

describe('probe', () => {
  it('reads boot id, kernel, page size and the cheapest sample path of a recording', async () => {
    const caps = await probe(new ReplayTarget({ dir: CAPTURE, step: 'after' }))
    expect(caps).toMatchObject({ bootId: 'cf9880ef-c1c0-4c30-b81b-63047337ef51', kernel: '7.2.13', pageSize: 4096, pageSizeSource: 'assumed', countThreshold: 0, path: 'show_handles', allocinfo: 'not-built' })
  })
  it('falls back to show_stacks without show_handles', async () => {
    const dir = recording({ show_stacks: readFileSync(join(CAPTURE, 'after.show_stacks'), 'utf8') })
    expect((await probe(new ReplayTarget({ dir }))).path).toBe('show_stacks')
  })
  it('tells a kernel built without page_owner from one booted without page_owner=on', async () => {
    const notBuilt = recording({ cmdline: 'console=ttyS0\n', kallsyms: 'ffffffff81000000 T _stext\n' })
    await expect(probe(new ReplayTarget({ dir: notBuilt }))).rejects.toMatchObject({ name: 'PageOwnerDisabledError', reason: 'not-built' })
    const notEnabled = recording({ cmdline: 'console=ttyS0\n', kallsyms: 'ffffffff81000000 T _stext\nffffffff82000000 D page_owner_inited\n' })
    const error = await probe(new ReplayTarget({ dir: notEnabled })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PageOwnerDisabledError)
    expect((error as PageOwnerDisabledError).reason).toBe('not-enabled')
    expect((error as Error).message).toContain('booted without page_owner=on')
    const noDebugfs = recording({ cmdline: 'page_owner=on\n', kallsyms: 'ffffffff82000000 D page_owner_inited\n' })
    await expect(probe(new ReplayTarget({ dir: noDebugfs }))).rejects.toMatchObject({ reason: 'no-debugfs' })
    await expect(probe(new ReplayTarget({ dir: recording({}) }))).rejects.toThrow(UnsupportedKernelError)
  })
  it.each([
    ['available', { allocinfo: 'x', mem_profiling: '1\n' }],
    ['available', { allocinfo: 'x' }], // a recording of allocinfo alone was counting when read
    ['off', { allocinfo: 'x', mem_profiling: '0\n' }],
    ['off', { mem_profiling: '0\n' }], // booted with sysctl.vm.mem_profiling=never: the file is gone
    ['not-built', {}],
  ])('says allocinfo is %s from /proc/allocinfo and vm.mem_profiling (%j)', async (state, files) => {
    const show_handles = readFileSync(join(CAPTURE, 'after.show_handles'), 'utf8')
    const show_stacks_handles = readFileSync(join(CAPTURE, 'after.show_stacks_handles'), 'utf8')
    expect((await probe(new ReplayTarget({ dir: recording({ show_handles, show_stacks_handles, ...files }) }))).allocinfo).toBe(state)
  })
})

describe('LocalTarget over a debugfs tree', () => {
  it('probes the live /proc and the given debugfs root', async () => {
    const caps = await probe(new LocalTarget({ debugfs: fakeDebugfs() }))
    expect(caps.path).toBe('show_handles')
    expect(caps.pageSizeSource).toBe('kernel')
    expect(caps.bootId).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim())
  })
  it('refuses a non-zero count_threshold by default', async () => {
    const target = new LocalTarget({ debugfs: fakeDebugfs({ threshold: 8 }) })
    const error = await Session.open(target, { cacheDir: tempDir() }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CountThresholdError)
    expect((error as Error).message).toMatchInlineSnapshot(`
      "page_owner_stacks/count_threshold is 8: stacks with fewer pages are hidden, so deltas would be wrong
        hint: set it to 0 (echo 0 > /sys/kernel/debug/page_owner_stacks/count_threshold), or pass threshold: 'reset' to set it to 0 for the run and restore it afterwards"
    `)
  })
  it("with threshold: 'reset', zeroes count_threshold for the session and restores it at close", async () => {
    const root = fakeDebugfs({ threshold: 8 })
    const file = join(root, 'page_owner_stacks', 'count_threshold')
    const session = await Session.open(new LocalTarget({ debugfs: root }), { threshold: 'reset', cacheDir: tempDir() })
    expect(readFileSync(file, 'utf8')).toBe('0')
    await session.close()
    expect(readFileSync(file, 'utf8')).toBe('8')
  })
  it('refuses a measured section when count_threshold was raised after the probe', async () => {
    const root = fakeDebugfs()
    const session = await Session.open(new LocalTarget({ debugfs: root }), { cacheDir: tempDir() })
    writeFileSync(join(root, 'page_owner_stacks', 'count_threshold'), '3\n')
    await expect(session.begin()).rejects.toThrow(CountThresholdError)
  })
  it('runs commands, from a directory when asked', async () => {
    expect(await new LocalTarget().exec('echo hi; exit 3')).toEqual({ exitCode: 3, stdout: 'hi', stderr: '' })
    const dir = tempDir()
    expect(await new LocalTarget().exec('pwd', { cwd: dir })).toMatchObject({ exitCode: 0, stdout: dir })
    expect((await new LocalTarget().exec('echo ran', { cwd: join(dir, 'missing') })).exitCode).toBe(1)
  })
})

describe('CommandTarget', () => {
  it('reads through the prefix, streaming', async () => {
    const target = new CommandTarget({ prefix: ['env'], debugfs: fakeDebugfs() })
    expect((await parseShowHandles(target.read('show_handles'), 'x')).get(DD_HANDLE)).toBe(65536)
    expect(await target.exists('show_handles')).toBe(true)
    expect(await target.exists('swap_page_owner')).toBe(false)
  })
  it('maps a missing file and a denied read to named errors', async () => {
    const root = fakeDebugfs()
    await expect(readText(new CommandTarget({ prefix: ['env'], debugfs: root }), 'page_owner')).rejects.toThrow(FileMissingError)
    chmodSync(join(root, 'page_owner_stacks', 'show_handles'), 0o600)
    const nobody = new CommandTarget({ prefix: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'], debugfs: root })
    await expect(readText(nobody, 'show_handles')).rejects.toThrow(PermissionError)
  })
  it('quotes arguments for a prefix that hands them to a remote shell (ssh)', async () => {
    const root = fakeDebugfs()
    const target = new CommandTarget({ prefix: ['sh', '-c'], remoteShell: true, debugfs: root })
    expect((await parseShowHandles(target.read('show_handles'), 'x')).get(DD_HANDLE)).toBe(65536)
    expect(await target.exec(`echo "it's here" | tr a-z A-Z`)).toMatchObject({ exitCode: 0, stdout: "IT'S HERE" })
    const dir = join(tempDir(), "a dir's")
    mkdirSync(dir)
    expect(await target.exec('pwd', { cwd: dir })).toMatchObject({ exitCode: 0, stdout: dir })
    expect(shellQuote("it's")).toBe(`'it'\\''s'`)
    expect(shellQuote('/sys/kernel/debug')).toBe('/sys/kernel/debug')
  })
  it('writes count_threshold', async () => {
    const root = fakeDebugfs({ threshold: 4 })
    await new CommandTarget({ prefix: ['env'], debugfs: root }).write('count_threshold', '0')
    expect(readFileSync(join(root, 'page_owner_stacks', 'count_threshold'), 'utf8')).toBe('0')
  })
})
