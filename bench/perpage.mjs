// The per-page page_owner file, side by side in one run: `page-budget top --by stack` against the
// kernel's own tools/mm/page_owner_sort (built from the cached linux-source tree into the cache),
// the seed's awk one-liner, and a bare scan (Node reading the bytes and counting records, no
// parsing): wall time, MB/s and peak RSS of each, as a child process, on the real 45 MB capture
// and on a synthetic per-page file of 1 GB (BENCH_PER_PAGE_MB) written to a temp dir. On the
// capture, Node starting and exiting (node -e 0) runs too: with the bare scan, the floor under
// top's ratio to page_owner_sort that no parsing can go below.
import { execFileSync, spawnSync } from 'node:child_process'
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { createGunzip } from 'node:zlib'
import { goal } from './goals.mjs'
import { writePerPage } from './synthetic.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CAPTURE = '/work/shared/captures/linux-7.2.13-tmpfs-dd-256M/after.page_owner.gz'
const FIXTURE = join(ROOT, 'test/fixtures/linux-7.2.13-tmpfs-dd-256M/after.page_owner.gz')
const CACHE = process.env.PAGE_BUDGET_CACHE ?? join(ROOT, '.cache/page-budget')
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
/** A round on the capture takes ~2 s, and on a shared 2-core machine a median of 3 moves by a tenth of the ratio. */
const CAPTURE_ROUNDS = Number(process.env.BENCH_CAPTURE_ROUNDS ?? 9)
const SYNTHETIC_MB = Number(process.env.BENCH_PER_PAGE_MB ?? 1024)
const TIME = '/usr/bin/time'
const AWK = "/^Page allocated/ { split($1, o, \" \"); split($4, c, \"[()]\"); p[c[2]] += 2 ^ o[5] } END { print p[\"dd\"] }"
const BARE = `
  const { openSync, readSync } = require('node:fs')
  const fd = openSync(process.argv[1]), b = Buffer.allocUnsafe(1 << 20), sep = Buffer.from('\\n\\n')
  let n, records = 0, carry = 0
  while ((n = readSync(fd, b, carry, b.length - carry, null)) > 0) {
    const end = carry + n
    let p = 0
    for (let at = b.indexOf(sep, p); at >= 0 && at < end; at = b.indexOf(sep, p)) { records++; p = at + 2 }
    b.copy(b, 0, p, end); carry = end - p
  }
  console.log(records)`

/**
 * page_owner_sort from the kernel source the recipe unpacked, compiled into the cache (never into
 * the tree). The newest tree that keeps it in tools/mm (6.2 on) is preferred: that is the tool as
 * kernels ship it now; a tree older than 6.2 keeps it in tools/vm, taken only when no newer one is
 * unpacked yet (the recipe may have unpacked only 6.1).
 */
function pageOwnerSort() {
  const sources = join(CACHE, 'sources')
  const trees = existsSync(sources) ? readdirSync(sources).filter((name) => name.startsWith('linux-source-')) : []
  // Newest first by version (numeric: 6.10 after 6.9).
  trees.sort((a, b) => b.localeCompare(a, 'en', { numeric: true }))
  const found = ['tools/mm', 'tools/vm']
    .flatMap((dir) => trees.map((tree) => ({ tree, dir, source: join(sources, tree, dir, 'page_owner_sort.c') })))
    .find(({ source }) => existsSync(source))
  if (!found) return { note: `no kernel source with tools/{mm,vm}/page_owner_sort.c unpacked under ${sources} (npm run setup unpacks one): page_owner_sort row skipped` }
  const { tree, dir, source } = found
  const binary = join(CACHE, 'bench', tree, 'page_owner_sort')
  if (!existsSync(binary)) {
    mkdirSync(join(CACHE, 'bench', tree), { recursive: true })
    // What `make -C tools/mm page_owner_sort` runs, with the output outside the tree (and -O2).
    execFileSync('cc', ['-O2', '-Wall', '-I', join(sources, tree, 'tools/lib'), '-pthread', '-o', binary, source], { stdio: 'inherit' })
  }
  // The row names the tree: 6.1's tools/vm and later tools/mm differ, so ratios name which they beat.
  return { binary, label: `page_owner_sort (${tree.replace(/^linux-source-/, '').replace(/_.*/, '')} ${dir}, -O2)` }
}

/** Runs a command as a child; its wall time (s) and peak RSS (MB, from /usr/bin/time; NaN without it). */
function run(command, args, dir) {
  const report = join(dir, 'rss')
  const timed = existsSync(TIME)
  const start = process.hrtime.bigint()
  const child = timed
    ? spawnSync(TIME, ['-f', '%M', '-o', report, command, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  if (child.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${child.stderr}`)
  return { seconds, rss: timed ? Number(readFileSync(report, 'utf8').trim()) / 1024 : Number.NaN }
}

function median(list) {
  return [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]
}

/** Every contender on `file`, interleaved round by round, so machine noise hits them alike. */
function compare(title, file, contenders, rounds, dir) {
  const mb = statSync(file).size / 1e6
  const results = Object.fromEntries(Object.keys(contenders).map((name) => [name, { seconds: [], rss: [] }]))
  for (let round = 0; round < rounds; round++) {
    for (const [name, [command, args]] of Object.entries(contenders)) {
      const { seconds, rss } = run(command, args, dir)
      results[name].seconds.push(seconds)
      results[name].rss.push(rss)
    }
  }
  console.log(`\n${title} (${mb.toFixed(0)} MB, median of ${rounds}):`)
  console.log(`  ${'contender'.padEnd(46)} ${'wall s'.padStart(8)} ${'MB/s'.padStart(8)} ${'peak RSS'.padStart(10)}`)
  const medians = {}
  for (const [name, { seconds, rss }] of Object.entries(results)) {
    medians[name] = { seconds: median(seconds), rss: Math.max(...rss) }
    console.log(`  ${name.padEnd(46)} ${medians[name].seconds.toFixed(2).padStart(8)} ${(mb / medians[name].seconds).toFixed(0).padStart(8)} ${`${medians[name].rss.toFixed(0)} MB`.padStart(10)}`)
  }
  return medians
}

const dir = mkdtempSync(join(tmpdir(), 'page-budget-bench-'))
try {
  const sort = pageOwnerSort()
  const capture = join(dir, 'capture.page_owner')
  await pipeline(createReadStream(existsSync(CAPTURE) ? CAPTURE : FIXTURE), createGunzip(), createWriteStream(capture))
  // page_owner_sort holds every record in memory (1.1 GB peak RSS and 130 s for the 1 GB file on
  // this 2-core machine), so it runs on the capture only: `withSort` false leaves it out.
  const contenders = (file, withSort = true) => ({
    'page-budget top --by stack': [process.execPath, [join(ROOT, 'dist/cli/bin.js'), 'top', file, '--by', 'stack']],
    ...(sort.binary && withSort && { [sort.label]: [sort.binary, [file, join(dir, 'sorted')]] }),
    "awk: 2^order per comm (the seed's one-liner)": ['awk', ['-F', ', ', AWK, file]],
    'bare scan (node: read, count blank lines)': [process.execPath, ['-e', BARE, file]],
    ...(withSort && { 'node start (node -e 0)': [process.execPath, ['-e', '0']] }),
  })
  if (sort.note) console.log(`\nnote: ${sort.note}`)

  const real = compare('per-page page_owner, real 7.2.13 capture', capture, contenders(capture), CAPTURE_ROUNDS, dir)
  const top = real['page-budget top --by stack']
  if (sort.binary) {
    const sorted = real[sort.label]
    const ratio = top.seconds / sorted.seconds
    const floor = (name) => `${(real[name].seconds / sorted.seconds).toFixed(2)}x`
    goal(
      `top --by stack, 45 MB capture: <= 0.33x page_owner_sort's wall time`,
      `${ratio.toFixed(2)}x (${top.seconds.toFixed(2)} s against ${sorted.seconds.toFixed(2)} s; ${top.rss.toFixed(0)} MB against ${sorted.rss.toFixed(0)} MB peak RSS; floor: node start ${floor('node start (node -e 0)')}, bare scan ${floor('bare scan (node: read, count blank lines)')})`,
      ratio <= 0.33,
    )
  }

  const synthetic = join(dir, 'synthetic.page_owner')
  await writePerPage(synthetic, SYNTHETIC_MB * 2 ** 20)
  const big = compare(`per-page page_owner, synthetic (2000 stacks)`, synthetic, contenders(synthetic, false), Math.max(1, Math.floor(ROUNDS / 2)), dir)
  const bigTop = big['page-budget top --by stack']
  const awk = big["awk: 2^order per comm (the seed's one-liner)"]
  const mb = statSync(synthetic).size / 1e6
  goal(`top --by stack, ${mb.toFixed(0)} MB synthetic: peak RSS < 100 MB`, `${bigTop.rss.toFixed(0)} MB`, bigTop.rss < 100)
  goal(`top --by stack, ${mb.toFixed(0)} MB synthetic: <= 2x the awk one-liner's wall time`, `${(bigTop.seconds / awk.seconds).toFixed(2)}x (${(mb / bigTop.seconds).toFixed(0)} MB/s against ${(mb / awk.seconds).toFixed(0)} MB/s)`, bigTop.seconds <= 2 * awk.seconds)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
