// The watch loop's per-sample cost and its memory: one sample folded into the series through
// show_handles (parse handle/count pairs, diff against the previous sample) versus the naive
// loop the seed describes (re-read show_stacks and hash every stack's text on every sample),
// on the real 7.2.13 capture and on synthetic 1k/10k/100k-stack inputs; then the memory an hour
// of 1 s samples takes in the compact series, and on disk as series.json.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { parseShowHandles } from '../dist/format/show-handles.js'
import { readShowStacksText } from '../dist/format/stacks.js'
import { hashText } from '../dist/format/stack-key.js'
import { formatSeriesFile } from '../dist/format/recording.js'
import { Series } from '../dist/format/series.js'
import { printRatios, sideBySide } from './measure.mjs'
import { synthetic } from './synthetic.mjs'

const CAPTURE = fileURLToPath(new URL('../test/fixtures/linux-7.2.13-tmpfs-dd-256M', import.meta.url))
const read = (name) => readFileSync(join(CAPTURE, name), 'utf8')

async function handlesSample(series, text) {
  series.push(series.length * 1000, await parseShowHandles([text], 'show_handles'))
}

async function naiveSample(series, text) {
  const counts = new Map()
  for (const { text: stack, pages } of await readShowStacksText([text], 'show_stacks')) {
    const key = hashText(stack)
    counts.set(key, (counts.get(key) ?? 0) + pages)
  }
  series.push(series.length * 1000, counts)
}

/** Alternates two instants, so every sample carries the changes between them. */
async function compare(title, handles, stacks) {
  const series = { handles: new Series(), naive: new Series() }
  let turn = { handles: 0, naive: 0 }
  const medians = await sideBySide({
    [`show_stacks + hash every stack (${(stacks[1].length / 1024).toFixed(0)} KB)`]: () => naiveSample(series.naive, stacks[turn.naive++ % 2]),
    [`show_handles, handles as keys (${(handles[1].length / 1024).toFixed(0)} KB)`]: () => handlesSample(series.handles, handles[turn.handles++ % 2]),
  }, { rounds: 21, warmup: 4 })
  printRatios(`watch: one sample folded into the series, ${title}:`, medians, Object.keys(medians)[0])
}

// Memory: an hour of samples at 1 s. Each sample, 1% of the stacks (at least 8) change by a few
// pages and one large stack swings by 64 MiB, as a busy system does between two reads.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc')
function heap() {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}
console.log('\nwatch: memory for one hour of 1 s samples (3600), compact series:')
let series
for (const n of [180, 1000, 10000, 100000]) {
  series = undefined // the previous hour's series is freed before this one is measured
  const base = new Map(Array.from({ length: n }, (_, i) => [1048581 + i * 4099, 1 + (i % 977)]))
  const moving = Math.max(8, Math.floor(n / 100))
  // Each sample is a fresh map, as a read gives one; the series keeps only the latest whole.
  const before = heap()
  series = new Series()
  let counts = base
  for (let t = 0; t < 3600; t++) {
    counts = new Map(counts)
    for (let j = 0; j < moving; j++) {
      const key = 1048581 + ((t * 7919 + j * 104729) % n) * 4099
      counts.set(key, counts.get(key) + ((t + j) % 2 ? 3 : -3))
    }
    counts.set(1048581, 1 + (t % 20 < 10 ? 16384 : 0))
    series.push(t * 1000, counts)
  }
  counts = undefined
  const bytes = heap() - before
  const onDisk = formatSeriesFile({ target: 'bench', bootId: 'b', kernel: 'k', pageSize: 4096, path: 'show_handles', startedAt: '', intervalMs: 1000, stopped: 'samples' }, series).length
  const full = 3600 * n * 2 * 8
  console.log(`  ${String(n).padStart(6)} stacks, ${String(moving).padStart(4)} changing per sample: ${(bytes / 2 ** 20).toFixed(2).padStart(7)} MiB in memory per hour (${(onDisk / 2 ** 20).toFixed(2)} MiB as series.json); every snapshot whole would be >= ${(full / 2 ** 20).toFixed(0)} MiB of raw numbers`)
}

// Timed after the memory figures, so the heap they read holds no benchmark garbage.
await compare('real 7.2.13 capture', [read('before.show_handles'), read('after.show_handles')], [read('after.show_stacks'), read('after.show_stacks')])
for (const n of [1000, 10000, 100000]) {
  const s = synthetic(n)
  await compare(`synthetic ${n} stacks`, [s.showHandles(0), s.showHandles(1)], [s.showStacks(0), s.showStacks(1)])
}
