// One sample + diff, the per-test hot path: through show_handles (kernel handles, stacks cached)
// versus the naive path the seed describes (re-read show_stacks and re-hash every stack on each
// sample). Run on the real 7.2.13 capture and on synthetic 1k/10k/100k-stack inputs.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { diffCounts } from '../dist/format/counts.js'
import { parseShowHandles } from '../dist/format/show-handles.js'
import { hashText } from '../dist/format/stack-key.js'
import { readShowStacksText } from '../dist/format/stacks.js'
import { StacksCache } from '../dist/snapshot/stacks.js'
import { goal } from './goals.mjs'
import { sideBySide, printRatios } from './measure.mjs'
import { synthetic } from './synthetic.mjs'

const CAPTURE = fileURLToPath(new URL('../test/fixtures/linux-7.2.13-tmpfs-dd-256M', import.meta.url))

/** A target serving fixed texts, so both paths pay the same (zero) I/O and only parsing differs. */
function textTarget(files) {
  return {
    description: 'bench',
    read: (file) => [Buffer.from(files[file])],
    exists: async (file) => file in files,
    close: async () => {},
  }
}

async function handlesPath(before, target, stacks) {
  const after = await parseShowHandles(target.read('show_handles'), 'show_handles')
  const changed = diffCounts(before, after)
  await stacks.resolve(changed.map((row) => row.key))
  return changed.length
}

/** The floor: split lines, parseInt, Map, diff; no validation, no stacks. */
function bareScan(before, target) {
  const after = new Map()
  const lines = Buffer.concat(target.read('show_handles')).toString().split('\n')
  for (let i = 0; i + 1 < lines.length; i += 3) after.set(Number.parseInt(lines[i].slice(8), 10), Number.parseInt(lines[i + 1].slice(15), 10))
  let changed = 0
  for (const [key, pages] of after) if ((before.get(key) ?? 0) !== pages) changed++
  for (const key of before.keys()) if (!after.has(key)) changed++
  return changed
}

async function naivePath(before, target) {
  const after = new Map()
  for (const { text, pages } of await readShowStacksText(target.read('show_stacks'), 'show_stacks')) {
    const key = hashText(text)
    after.set(key, (after.get(key) ?? 0) + pages)
  }
  return diffCounts(before, after).length
}

/** `stacks`: how many the synthetic inputs hold (none for the capture), for the goals. */
async function compare(title, files0, files1, stacks) {
  const t0 = textTarget(files0)
  const t1 = textTarget(files1)
  const cache = new StacksCache(t1, 'bench')
  const before = await parseShowHandles(t0.read('show_handles'), 'x')
  const beforeNaive = new Map((await readShowStacksText(t0.read('show_stacks'), 'x')).map(({ text, pages }) => [hashText(text), pages]))
  await handlesPath(before, t1, cache) // the first test of a run resolves; later ones hit the cache
  const bytes = (files1.show_handles.length / 1024).toFixed(0)
  const naiveBytes = (files1.show_stacks.length / 1024).toFixed(0)
  const medians = await sideBySide({
    [`show_stacks + hash every stack (${naiveBytes} KB)`]: () => naivePath(beforeNaive, t1),
    [`show_handles + lazy stacks (${bytes} KB)`]: () => handlesPath(before, t1, cache),
    [`bare scan: split, parseInt, Map diff`]: () => bareScan(before, t1),
  })
  printRatios(title, medians, Object.keys(medians)[0])
  const names = Object.keys(medians)
  const overBare = medians[names[1]] / medians[names[2]]
  const overNaive = medians[names[0]] / medians[names[1]]
  const mbs = (files1.show_handles.length / 1e6 / (medians[names[1]] / 1000)).toFixed(0)
  console.log(`  show_handles path: ${overBare.toFixed(2)}x the bare scan, ${mbs} MB/s`)
  if (stacks >= 10000) goal(`sample + diff, ${stacks / 1000}k stacks: <= 1.3x the bare scan`, `${overBare.toFixed(2)}x (${mbs} MB/s)`, overBare <= 1.3)
  if (stacks >= 1000) goal(`sample + diff, ${stacks / 1000}k stacks: >= 20x faster than re-hashing show_stacks`, `${overNaive.toFixed(1)}x`, overNaive >= 20)
}

const read = (name) => readFileSync(join(CAPTURE, name), 'utf8')
const stacksHandles = read('after.show_stacks_handles')
// The capture has show_stacks only for "after"; both samples use it so the naive path does its real work.
await compare(
  'one sample + diff, real 7.2.13 capture (dd 256 MiB to tmpfs):',
  { show_handles: read('before.show_handles'), show_stacks: read('after.show_stacks'), show_stacks_handles: stacksHandles },
  { show_handles: read('after.show_handles'), show_stacks: read('after.show_stacks'), show_stacks_handles: stacksHandles },
)
for (const n of [1000, 10000, 100000]) {
  const s = synthetic(n)
  await compare(
    `one sample + diff, synthetic ${n} stacks:`,
    { show_handles: s.showHandles(0), show_stacks: s.showStacks(0), show_stacks_handles: s.showStacksHandles },
    { show_handles: s.showHandles(1), show_stacks: s.showStacks(1), show_stacks_handles: s.showStacksHandles },
    n,
  )
}
