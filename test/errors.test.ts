import { chmodSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import * as errors from '../src/errors.js'
import { recordedStacks } from '../src/cli/inputs.js'
import { sniffSampleFile } from '../src/cli/sniff.js'
import { parseShowHandles } from '../src/format/show-handles.js'
import { openFile } from '../src/format/file.js'
import { privateDir } from '../src/io/cache-dir.js'
import { acquireLock } from '../src/io/lock.js'
import { checkBuildTools } from '../src/kernel-build/tools.js'
import { readReport } from '../src/report/read.js'
import { reclaim } from '../src/session/reclaim.js'
import { Session } from '../src/session/session.js'
import { CommandTarget } from '../src/target/command.js'
import { LocalTarget } from '../src/target/local.js'
import { explainKill } from '../src/target/oom.js'
import { probe } from '../src/target/probe.js'
import { readText } from '../src/target/read.js'
import { ReplayTarget } from '../src/target/replay.js'
import type { Target } from '../src/target/types.js'
import { endSection, track } from '../src/verdict/section.js'
import { parseBudget } from '../src/amount.js'
import { fakeDebugfs, recording } from './fake-kernel.js'
import { CAPTURE, tempDir } from './helpers.js'

/** The error a promise (or a function) ends with; fails the test when it ends well. */
async function errorOf(work: Promise<unknown> | (() => unknown)): Promise<errors.PageBudgetError> {
  const error = await (typeof work === 'function' ? Promise.resolve().then(work) : work).then(
    () => { throw new Error('expected an error') },
    (caught: unknown) => caught,
  )
  if (!errors.isPageBudgetError(error)) throw error
  return error
}

async function drain(source: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of source);
}

function file(data: string | Uint8Array): string {
  const path = join(tempDir(), 'file')
  writeFileSync(path, data)
  return path
}

async function openSession(target: Target): Promise<Session> {
  return Session.open(target, { cacheDir: tempDir() })
}

/** Root reads anything, so the unreadable file is read as nobody, through a command target. */
function unreadableShowHandles(): Promise<string> {
  const root = fakeDebugfs()
  chmodSync(join(root, 'page_owner_stacks', 'show_handles'), 0o000)
  const reader = process.getuid?.() === 0
    ? new CommandTarget({ prefix: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'], debugfs: root })
    : new LocalTarget({ debugfs: root })
  return readText(reader, 'show_handles')
}

/** A target whose kernel log holds one OOM kill, 0.5 s into a command that ran for a second. */
const oomTarget: Target = {
  description: 'fake',
  read: () => [],
  exists: async () => false,
  exec: async () => ({ exitCode: 0, stderr: '', stdout: '100.0\n[   99.5] Out of memory: Killed process 42 (dd) total-vm:1kB, anon-rss:2048kB, file-rss:0kB, shmem-rss:0kB, UID:0' }),
  close: async () => {},
}

/** For each row of the README's Errors table, something page-budget does that raises that error. */
const PRODUCERS: Record<string, () => Promise<errors.PageBudgetError>> = {
  ParseError: () => errorOf(parseShowHandles(['handle: 12\nnr_base_pages: many\n\n'], 'bad.show_handles')),
  FileMissingError: () => errorOf(drain(openFile('/nonexistent/show_handles'))),
  PermissionError: () => errorOf(unreadableShowHandles()),
  FileTypeError: () => errorOf(drain(openFile(tempDir()))),
  BinaryFileError: () => errorOf(drain(openFile(file(Buffer.alloc(16))))),
  FileReadError: () => {
    const loop = join(tempDir(), 'loop')
    symlinkSync(loop, loop)
    return errorOf(drain(openFile(loop)))
  },
  FileFormatError: () => errorOf(sniffSampleFile(join(CAPTURE, 'after.show_stacks_handles'))),
  UnknownStackError: () => errorOf(recordedStacks(join(CAPTURE, 'after.show_stacks_handles'), { strict: true }).resolve([999])),
  ReportFileError: () => errorOf(readReport(file('{"schema": "page-budget-report"'))),
  PageOwnerDisabledError: () => errorOf(probe(new ReplayTarget({ dir: recording({ cmdline: 'console=ttyS0\n', kallsyms: 'ffffffff81000000 T _stext\n' }) }))),
  CountThresholdError: () => errorOf(openSession(new LocalTarget({ debugfs: fakeDebugfs({ threshold: 8 }) }))),
  UnsupportedKernelError: () => errorOf(probe(new ReplayTarget({ dir: recording({}) }))),
  TargetError: () => errorOf(new LocalTarget().exec('sleep 5', { timeout: 50 })),
  LockTimeoutError: async () => {
    const path = join(tempDir(), 'lock')
    const held = await acquireLock(path)
    try {
      return await errorOf(acquireLock(path, { timeout: 50 }))
    } finally {
      await held.release()
    }
  },
  ExecError: async () => {
    const session = await openSession(new LocalTarget({ debugfs: fakeDebugfs() }))
    const measurement = await session.begin()
    try {
      return await errorOf(measurement.exec('echo out; echo err >&2; exit 3'))
    } finally {
      await measurement.end()
    }
  },
  OomKilledError: async () => (await explainKill(oomTarget, 'dd if=/dev/zero of=/tmpfs/x', { exitCode: 137, stdout: '', stderr: 'Killed' }, 1000))!,
  UsageError: () => errorOf(() => parseBudget('lots', 4096)),
  AllocInfoUnavailableError: async () => {
    const session = await openSession(new ReplayTarget({ dir: CAPTURE, step: 'before' }))
    const measurement = await session.begin()
    try {
      return await errorOf(measurement.delta({ sites: ['fs/dcache.c:*'] }))
    } finally {
      await measurement.end()
    }
  },
  KernelBuildError: () => errorOf(checkBuildTools({ hasCommand: async (name) => name !== 'bison', hasHeader: async () => true })),
  UnawaitedAssertionError: async () => {
    const session = await openSession(new LocalTarget({ debugfs: fakeDebugfs() }))
    const measurement = await session.begin()
    void track(measurement, { matcher: 'toAllocateAtMost', args: "'1 MiB'", negated: false }, { file: 'test/x.test.ts', line: 3 }, new Promise((resolve) => setTimeout(resolve, 10)))
    return errorOf(endSection(measurement))
  },
  ReclaimError: () => errorOf(reclaim(new ReplayTarget({ dir: CAPTURE }), { pages: 1, bytes: 4096 }, 4096)),
  MissingToolError: async () => {
    vi.stubEnv('PATH', '/nonexistent')
    try {
      return await errorOf(acquireLock(join(tempDir(), 'lock')))
    } finally {
      vi.unstubAllEnvs()
    }
  },
  UnsafeDirectoryError: () => {
    const shared = tempDir()
    chmodSync(shared, 0o1777) // sticky and writable by all, like /tmp: shared on purpose, so refused
    return errorOf(privateDir(shared))
  },
}

/** Rows whose errors take a live or dying VM, or a guest console: raised by these tests instead. */
const ELSEWHERE: Record<string, string> = {
  VmError: "test/e2e/vm.test.ts: 'fails open requests with VmError when QEMU is killed, and leaves no QEMU behind' (and test/e2e/vm-death.test.ts)",
  GuestKernelError: "test/target/guest-faults.test.ts: 'turns a console that ends in a panic into a GuestKernelError'",
}

/** The rows of the README's Errors table: class and code. */
function readmeRows(): Array<{ name: string; code: string }> {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const section = readme.slice(readme.indexOf('## Errors'), readme.indexOf('\n## ', readme.indexOf('## Errors') + 1))
  return [...section.matchAll(/^\| `(\w+)` \| `(E_\w+)` \|/gm)].map(([, name, code]) => ({ name: name!, code: code! }))
}

describe('the README Errors table', () => {
  const rows = readmeRows()

  it('lists every error class, each once', () => {
    const classes = Object.entries(errors)
      .filter(([, value]) => typeof value === 'function' && value.prototype instanceof errors.PageBudgetError)
      .map(([name]) => name)
    expect(rows.map((row) => row.name).sort()).toEqual(classes.sort())
  })

  it('has a test that raises each row, here or in a VM test', () => {
    expect(rows.map((row) => row.name).filter((name) => !PRODUCERS[name] && !ELSEWHERE[name])).toEqual([])
  })

  it.each(rows.filter((row) => PRODUCERS[row.name]))('$name ($code): raised with its code, a message and a hint', async ({ name, code }) => {
    const error = await PRODUCERS[name]!()
    expect(error.name).toBe(name)
    expect(error.code).toBe(code)
    expect(error.hint).toBeTruthy()
    expect(error.message).toContain(`\n  hint: ${error.hint}`)
  })
})

describe('instanceof across duplicate installs', () => {
  it('holds between two copies of the module, for the class and its bases', async () => {
    const A = await import('../src/errors.js')
    // @ts-expect-error: a second URL for the same file, as a second installed copy would be
    const B = (await import('../src/errors.js?copy')) as typeof A
    expect(B.VmError).not.toBe(A.VmError)
    const vm = new A.VmError('x')
    expect(vm instanceof B.VmError).toBe(true)
    expect(vm instanceof B.PageBudgetError).toBe(true)
    expect(vm instanceof B.TargetError).toBe(false)
    expect(new A.GuestKernelError('panic', 'Kernel panic', 'console.log') instanceof B.VmError).toBe(true)
    expect(new A.FileTypeError('/dev/zero', 'character device', 'file') instanceof B.FileTypeError).toBe(true)
    expect(B.isPageBudgetError(vm)).toBe(true)
    expect(B.isPageBudgetError(vm, 'E_VM')).toBe(true)
    expect(B.isPageBudgetError(vm, 'E_TARGET')).toBe(false)
    expect(B.isPageBudgetError(new Error('x'))).toBe(false)
  })
})
