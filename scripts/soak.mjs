// npm run soak: hunts flakes. Runs the e2e projects N times back to back, and the fuzz
// properties under M fresh random seeds, then prints every test that failed in any run with
// its failures/runs (and, for fuzzing, the seeds that replay it) and the wall time. Exits 1 if
// any test failed in any run. Not part of `npm test`: the defaults take an hour or more.
//
//   npm run soak -- [--runs N] [--projects kernel,swap,vm] [--seeds M] [--out DIR]
//
// --runs 0 skips the e2e part (no VM is booted); --seeds 0 skips fuzzing. Each run is one
// `vitest run` with the projects together, as `npm test` runs them (a flake that needs the
// projects' VMs to share the machine shows up only that way). Results come from Vitest's JSON
// reporter; each run's report and console output are kept in --out (default a new temp dir).
import { spawn, spawnSync } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const FUZZ_FILE = 'test/format/fuzz.test.ts'
const VITEST = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs')
/** The projects in vitest.config.ts that boot the test kernel in QEMU. */
const QEMU_PROJECTS = ['kernel', 'swap', 'vm']
const USAGE = 'usage: npm run soak -- [--runs N] [--projects kernel,swap,vm] [--seeds M] [--out DIR]'

const options = parseOptions()
const out = options.out ?? mkdtempSync(join(tmpdir(), 'page-budget-soak-'))
mkdirSync(out, { recursive: true })
console.log(`soak: each run's report and log go to ${out}`)

/** `phase file name` -> { phase, file, name, runs, failures, where: the runs that failed it }. */
const tests = new Map()
let interrupted = false
process.on('SIGINT', () => {
  // The terminal sent it to the running vitest too; report the runs that completed.
  if (interrupted) process.exit(130)
  interrupted = true
})

const started = Date.now()
const phases = []
if (options.runs > 0) {
  // What `npm test` does first: dist/ for the tests that run the CLI, and the cached test kernel.
  const setup = [['npm', 'run', 'build']]
  if (options.projects.some((project) => QEMU_PROJECTS.includes(project))) setup.push([process.execPath, 'scripts/setup.mjs'])
  for (const [command, ...args] of setup) {
    if (spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' }).status !== 0) process.exit(1)
  }
  const args = options.projects.flatMap((project) => ['--project', project])
  phases.push(await soak('e2e', options.runs, (i) => ({ label: `run ${i}`, args })))
}
if (options.seeds > 0) {
  phases.push(
    await soak('fuzz', options.seeds, () => {
      const seed = randomInt(2 ** 31)
      const replay = `PAGE_BUDGET_FUZZ_SEED=${seed} ${process.env.FUZZ_RUNS ? `FUZZ_RUNS=${process.env.FUZZ_RUNS} ` : ''}npx vitest run --project unit ${FUZZ_FILE}`
      return { label: `seed ${seed}`, args: ['--project', 'unit', FUZZ_FILE], env: { PAGE_BUDGET_FUZZ_SEED: String(seed) }, replay }
    }),
  )
}
process.exitCode = report(phases, Date.now() - started) ? 0 : 1
if (interrupted) process.exitCode = 130

/**
 * `count` runs of vitest, each from `plan(i)`: a label for the report, vitest's arguments, extra
 * environment, and the command that replays it if any. Stops early on Ctrl-C; returns how many
 * runs completed and how long they took.
 */
async function soak(phase, count, plan) {
  const begun = Date.now()
  let done = 0
  for (let i = 1; i <= count && !interrupted; i++) {
    const { label, args, env = {}, replay } = plan(i)
    const name = `${phase}-${i}`
    const json = join(out, `${name}.json`)
    rmSync(json, { force: true }) // a report left in --out by an earlier soak is not this run's
    const time = Date.now()
    const code = await vitest([...args, '--reporter=default', '--reporter=json', `--outputFile.json=${json}`], env, join(out, `${name}.log`))
    if (interrupted) break
    const counts = record(phase, replay ?? label, json, code, `${name}.log`)
    done++
    const failed = counts.failed > 0 ? `, ${counts.failed} FAILED${replay ? `; replay: ${replay}` : ''}` : ''
    console.log(`soak: ${phase} ${i}/${count} (${label}): ${counts.passed} passed${failed} in ${duration(Date.now() - time)}`)
  }
  return { phase, done, count, ms: Date.now() - begun }
}

/** Runs vitest with its output to `log`; resolves to its exit code. */
function vitest(args, env, log) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VITEST, 'run', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    const output = []
    child.stdout.on('data', (chunk) => output.push(chunk))
    child.stderr.on('data', (chunk) => output.push(chunk))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      writeFileSync(log, Buffer.concat(output))
      resolve(code ?? `killed by ${signal}`)
    })
  })
}

/**
 * Adds one run's JSON report to `tests`; returns how many of its tests passed and failed. Tests
 * that share a name in one file count as one, failed if any of them failed. A file that failed
 * outside its tests (an import, a hook) and a run that failed with no test failed (no report,
 * an unhandled error) count as tests of their own, so that nothing that failed goes unreported.
 */
function record(phase, where, json, code, log) {
  const run = new Map() // key -> { file, name, failed, detail }
  const add = (file, name, failed, detail = '') => {
    const key = `${phase}\0${file}\0${name}`
    run.set(key, { file, name, failed: failed || run.get(key)?.failed === true, detail })
  }
  for (const result of testResults(json)) {
    const file = relative(ROOT, result.name)
    const ran = result.assertionResults.filter((test) => test.status === 'passed' || test.status === 'failed')
    for (const test of ran) add(file, [...test.ancestorTitles, test.title].join(' > '), test.status === 'failed')
    if (result.status === 'failed' && !ran.some((test) => test.status === 'failed')) add(file, '(the file, outside its tests)', true)
  }
  if (code !== 0 && ![...run.values()].some((test) => test.failed)) {
    add('(vitest)', '(the run itself, with no test failed)', true, ` (exit code ${code}; see ${log})`)
  }
  const counts = { passed: 0, failed: 0 }
  for (const [key, { file, name, failed, detail }] of run) {
    const test = tests.get(key) ?? { phase, file, name, runs: 0, failures: 0, where: [] }
    tests.set(key, test)
    test.runs++
    if (failed) {
      test.failures++
      test.where.push(where + detail)
    }
    counts[failed ? 'failed' : 'passed']++
  }
  return counts
}

/** The per-file results of a JSON report, none if vitest wrote none. */
function testResults(json) {
  try {
    return JSON.parse(readFileSync(json, 'utf8')).testResults
  } catch {
    return []
  }
}

/** Prints the failures per test and the wall time; returns whether every run passed. */
function report(phases, ms) {
  const ran = phases.map(({ phase, done, count }) => `${done}${done < count ? ` of ${count}` : ''} ${phase === 'e2e' ? `e2e runs (${options.projects.join(', ')})` : 'fuzz seeds'}`)
  const times = phases.map(({ phase, ms }) => `${phase} ${duration(ms)}`).join(', ')
  console.log(`\nsoak: ${ran.join(' and ') || 'nothing to run'} in ${duration(ms)}${phases.length > 1 ? ` (${times})` : ''}`)
  const all = [...tests.values()]
  const failing = all.filter((test) => test.failures > 0).sort((a, b) => b.failures / b.runs - a.failures / a.runs)
  if (failing.length > 0) {
    console.log('tests that failed (failures/runs, test, file, where):')
    for (const test of failing) console.log(`  ${test.failures}/${test.runs}  ${test.name}  ${test.file}\n      ${test.where.join('\n      ')}`)
  }
  console.log(`${all.length - failing.length} of ${all.length} tests passed in every run they ran in`)
  writeFileSync(join(out, 'summary.json'), `${JSON.stringify({ phases, ms, tests: all }, null, 2)}\n`)
  console.log(`reports, logs and summary.json: ${out}`)
  return failing.length === 0
}

function duration(ms) {
  const s = Math.round(ms / 1000)
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`
}

function parseOptions() {
  try {
    const { values } = parseArgs({
      options: {
        runs: { type: 'string', default: '10' },
        projects: { type: 'string', default: QEMU_PROJECTS.join(',') },
        seeds: { type: 'string', default: '50' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    })
    if (values.help) {
      console.log(USAGE)
      process.exit(0)
    }
    const projects = values.projects.split(',').filter((project) => project !== '')
    if (projects.length === 0) throw new Error('--projects needs at least one project')
    return { runs: count(values.runs, '--runs'), seeds: count(values.seeds, '--seeds'), projects, out: values.out }
  } catch (error) {
    console.error(`soak: ${error.message}\n${USAGE}`)
    process.exit(2)
  }
}

function count(text, option) {
  if (!/^\d+$/.test(text)) throw new Error(`${option} takes a whole number, not ${JSON.stringify(text)}`)
  return Number(text)
}
