import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { importsOf, layerViolations, readImports, runtimeCycles, sourceFiles, type Layers } from './imports.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/**
 * The data flow, lowest layer first (README, Layout): where the kernel is, its files parsed,
 * pages per stack sampled, stacks selected, a test's measured section, verdicts, reports; the
 * watch engine and the entries (CLI, Vitest, Playwright, the library's index) on top.
 */
const LAYERS: Layers = [
  ['errors.ts'],
  ['amount.ts', 'io'],
  ['format', 'kernel-build'],
  ['target'],
  ['snapshot'],
  ['select'],
  ['session'],
  ['verdict'],
  ['report'],
  ['watch'],
  ['cli', 'vitest', 'playwright', 'index.ts', 'matchers.ts'],
]

describe('the import graph of src/', () => {
  const imports = readImports(ROOT, sourceFiles(ROOT, 'src'))

  it('has every import pointing down the layers', () => {
    expect(layerViolations(imports, LAYERS)).toEqual([])
  })

  it('has no cycle that survives compilation', () => {
    expect(runtimeCycles(imports)).toEqual([])
  })
})

describe('the checks themselves', () => {
  it('fail on an upward import, a sideways one, and a file in no layer', () => {
    const imports = [
      ...importsOf('src/format/page-owner.ts', "import { Session } from '../session/session.js'"),
      ...importsOf('src/vitest/index.ts', "import { test } from '../playwright/fixtures.js'"),
      ...importsOf('src/helpers/x.ts', "import { ParseError } from '../errors.js'"),
      ...importsOf('src/session/session.ts', "import { probe } from '../target/probe.js'"),
    ]
    expect(layerViolations(imports, LAYERS)).toEqual([
      'src/format/page-owner.ts -> src/session/session.ts: format (layer 2) imports session (layer 6)',
      'src/vitest/index.ts -> src/playwright/fixtures.ts: vitest (layer 10) imports playwright (layer 10)',
      'src/helpers/x.ts -> src/errors.ts: helpers is in no layer',
    ])
  })

  it('tell imports erased by tsc from those that stay', () => {
    const text = [
      "import type { Frame } from './types.js'",
      "import { type Snapshot, type Delta } from './snapshot.js'",
      "import { diffCounts, type DeltaRow } from './counts.js'",
      "export { parseFrame } from './frame.js'",
      "export type * from './types.js'",
      "import './expect.js'",
      "const { Session } = await import('../session/session.js')",
      "import picomatch from 'picomatch'",
    ].join('\n')
    expect(importsOf('src/format/x.ts', text).map(({ to, typeOnly }) => [to, typeOnly])).toEqual([
      ['src/format/types.ts', true],
      ['src/format/snapshot.ts', true],
      ['src/format/counts.ts', false],
      ['src/format/frame.ts', false],
      ['src/format/types.ts', true],
      ['src/format/expect.ts', false],
      ['src/session/session.ts', false],
    ])
  })

  it('find a runtime cycle and ignore one closed only by types', () => {
    const runtime = [
      { from: 'a.ts', to: 'b.ts', typeOnly: false },
      { from: 'b.ts', to: 'c.ts', typeOnly: false },
      { from: 'c.ts', to: 'a.ts', typeOnly: false },
    ]
    expect(runtimeCycles(runtime)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']])
    expect(runtimeCycles([...runtime.slice(0, 2), { from: 'c.ts', to: 'a.ts', typeOnly: true }])).toEqual([])
  })
})

describe('the README', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const layout = /## Layout[\s\S]*?```\n([\s\S]*?)```/.exec(readme)![1]!
  const listed = layout.split('\n').map((line) => line.split(/\s+/)[0]!).filter(Boolean)

  it("Layout lists every folder of src/ and the repository's top level, and nothing else", () => {
    // Folders holding tracked files: what a clone has, whatever else lies in a working tree.
    const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter((file) => file.includes('/'))
    const folders = (depth: number, under = '') => [...new Set(tracked.filter((file) => file.startsWith(under)).map((file) => `${file.split('/').slice(0, depth).join('/')}/`))]
    const top = folders(1).filter((name) => !name.startsWith('.') && name !== 'src/')
    const wanted = [...folders(2, 'src/').filter((name) => !name.endsWith('.ts/')), ...top, 'src/errors.ts', 'src/amount.ts', 'src/index.ts'].sort()
    expect(listed.filter((name) => name.endsWith('/') || name.startsWith('src/')).sort()).toEqual(wanted)
  })

  it('names a layer for every unit of src/', () => {
    const units = readdirSync(join(ROOT, 'src')).filter((name) => !name.endsWith('.md'))
    expect(units.filter((unit) => !LAYERS.flat().includes(unit))).toEqual([])
  })

  it('has a README.md in every folder of src/ saying what it holds', () => {
    const missing = sourceFiles(ROOT, 'src').map((file) => file.slice(0, file.lastIndexOf('/'))).filter((dir, i, all) => all.indexOf(dir) === i && dir !== 'src')
    expect(missing.filter((dir) => !existsSync(join(ROOT, dir, 'README.md')))).toEqual([])
  })
})
