// Throughput of the per-page page_owner aggregation (page-budget top --by comm) on the real
// 45 MB capture, side by side with the seed's awk one-liner over the same decompressed bytes.
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { countPagesBy } from '../dist/snapshot/owners.js'
import { sideBySide, printRatios } from './measure.mjs'

const gz = fileURLToPath(new URL('../test/fixtures/linux-7.2.13-tmpfs-dd-256M/after.page_owner.gz', import.meta.url))
const raw = gunzipSync(readFileSync(gz))
const plain = join(tmpdir(), 'page-budget-bench.page_owner')
writeFileSync(plain, raw)
const mb = raw.length / 1e6

const chunks = []
for (let i = 0; i < raw.length; i += 65536) chunks.push(raw.subarray(i, i + 65536))

const medians = await sideBySide({
  "awk -F, '2^order per comm' (the seed's one-liner)": () =>
    execFileSync('awk', ['-F', ', ', '/^Page allocated/ { split($1, o, " "); split($4, c, "[()]"); p[c[2]] += 2 ^ o[5] } END { print p["dd"] }', plain]),
  'page-budget countPagesBy(comm), every field parsed': () => countPagesBy(chunks, 'page_owner', 'comm'),
}, { rounds: 5, warmup: 1 })
printRatios(`per-page page_owner aggregation, ${mb.toFixed(1)} MB, ${raw.toString('latin1').split('\n').length} lines:`, medians, Object.keys(medians)[0])
for (const [name, ms] of Object.entries(medians)) console.log(`  ${name.slice(0, 44).padEnd(44)} ${(mb / (ms / 1000)).toFixed(1).padStart(9)} MB/s`)
