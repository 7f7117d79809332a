import type { TargetOptions } from '../target/options.js'
import { resolveTargetOptions } from '../session/config.js'
import { UsageError } from '../errors.js'
import { refuseWrongKind } from '../format/file.js'
import { renderTable } from '../report/table.js'
import { formatBytes } from '../amount.js'
import { parseAlert } from '../watch/alerts.js'
import { parseDuration } from '../watch/duration.js'
import { reportJson } from '../watch/export.js'
import { runWatch, type RunResult } from '../watch/run.js'
import { formatElapsed } from '../watch/duration.js'
import { alertLine, lineView, liveView, type View } from '../watch/view.js'
import { CliUsageError, oneOf, parse, positiveInt } from './args.js'
import { compileSelector, type StackSelector } from '../select/selector.js'

export const TARGET_USAGE = `  where: --qemu | --ssh root@HOST [--sudo] | --sudo | --debugfs PATH | --replay DIR [--steps a,b,...] | --target JSON
         (default: PAGE_BUDGET_TARGET, else this machine's debugfs)`

export const OPTIONS_USAGE = `  [--interval 1s] [--duration 10m | --samples N] [--frames PAT]... [--sites PAT]... [--module PAT] [--top N]
  [--alert 'frames=PAT,max=SIZE' | --alert 'sites=PAT,max=SIZE']... [--stop-on-alert] [--exec CMD] [--threshold error|reset] [--json]`

export const usage = `page-budget watch [where] ${OPTIONS_USAGE.trim()} [--out DIR]
${TARGET_USAGE}
  Samples show_handles every --interval and shows the top stacks live (in place on a terminal, a line
  per sample otherwise); Ctrl-C stops and still reports and writes everything. Only the stacks the
  output names are resolved. --sites (file:line globs, func:GLOB, as in diff) also reads /proc/allocinfo
  every sample and shows those call sites' bytes and calls. --exec runs a workload on the target and stops one sample after it.
  --out DIR writes a recording (as \`record\`). Exit 3 when an --alert limit was crossed.`

const OPTIONS = {
  target: { type: 'string' },
  qemu: { type: 'boolean' },
  ssh: { type: 'string' },
  sudo: { type: 'boolean' },
  debugfs: { type: 'string' },
  replay: { type: 'string' },
  steps: { type: 'string' },
  interval: { type: 'string' },
  duration: { type: 'string' },
  samples: { type: 'string' },
  frames: { type: 'string', multiple: true },
  sites: { type: 'string', multiple: true },
  module: { type: 'string' },
  top: { type: 'string' },
  alert: { type: 'string', multiple: true },
  'stop-on-alert': { type: 'boolean' },
  exec: { type: 'string' },
  threshold: { type: 'string' },
  json: { type: 'boolean' },
  out: { type: 'string' },
} as const

type Values = ReturnType<typeof parse<{ options: typeof OPTIONS; allowPositionals: true }>>['values']

/** Where the kernel is, from the shorthand flags or --target JSON; at most one way at a time. */
function targetFromFlags(values: Pick<Values, 'target' | 'qemu' | 'ssh' | 'sudo' | 'debugfs' | 'replay'>): TargetOptions {
  const given = (['target', 'qemu', 'ssh', 'debugfs', 'replay'] as const).filter((flag) => values[flag] !== undefined)
  if (given.length > 1) throw new CliUsageError(`name the target once: got --${given.join(' and --')}`)
  if (values.sudo && given.length > 0 && !values.ssh) throw new CliUsageError(`--sudo goes alone or with --ssh, not with --${given[0]}`)
  if (values.ssh) return { kind: 'command', prefix: ['ssh', values.ssh, ...(values.sudo ? ['sudo', '-n'] : [])] }
  if (values.sudo) return { kind: 'command', prefix: ['sudo', '-n'] }
  if (values.qemu) return { kind: 'qemu' }
  if (values.debugfs) return { kind: 'local', debugfs: values.debugfs }
  if (values.replay) return { kind: 'replay', dir: values.replay }
  if (values.target) {
    let parsed: unknown
    try {
      parsed = JSON.parse(values.target)
    } catch {
      throw new CliUsageError(`--target must be JSON, such as '{"kind":"qemu","memory":1024}'; got ${values.target}`)
    }
    const kind = (parsed as { kind?: unknown } | null)?.kind
    if (!['local', 'command', 'replay', 'qemu', 'vm'].includes(String(kind))) throw new CliUsageError(`--target needs "kind": local, command, replay, qemu or vm; got ${values.target}`)
    return parsed as TargetOptions
  }
  return resolveTargetOptions({})
}

/** A bad --alert or time span is a bad argument: usage and exit 2, keeping the parser's hint. */
function asArgument<T>(parse: () => T): T {
  try {
    return parse()
  } catch (error) {
    if (error instanceof UsageError) throw new CliUsageError(error.message)
    throw error
  }
}

/** `--sites`, compiled now so a bad pattern is a usage error before the target is touched. */
function siteSelector(sites: string[], module: string | undefined): StackSelector {
  const selector = { sites, ...(module && { module }) }
  compileSelector(selector)
  return selector
}

function duration(value: string | undefined, name: string): number | undefined {
  return value === undefined ? undefined : asArgument(() => parseDuration(value, name))
}

interface Terminal {
  /** Raw writes to the terminal, for the in-place view and progress; absent when not a TTY. */
  stdout?: (text: string) => void
  stderr?: (text: string) => void
}

function processTerminal(): Terminal {
  return {
    ...(process.stdout.isTTY && { stdout: (text: string) => process.stdout.write(text) }),
    ...(process.stderr.isTTY && { stderr: (text: string) => process.stderr.write(text) }),
  }
}

/**
 * `watch` and `record` share this: flags to options, Ctrl-C to a clean stop, the final report.
 * `record` has a directory and no per-sample lines off a terminal (it is meant for the background).
 */
export async function runWatchCommand(
  argv: string[],
  out: (text: string) => void,
  mode: { record: boolean; terminal?: Terminal; err?: (text: string) => void },
): Promise<number> {
  const { values, positionals } = parse({ args: argv, allowPositionals: true, options: OPTIONS })
  const outDir = mode.record ? positionals[0] : values.out
  if (positionals.length !== (mode.record ? 1 : 0)) throw new CliUsageError(mode.record ? 'record needs one DIR' : `unexpected argument: ${positionals[0]}`)
  if (mode.record && values.out) throw new CliUsageError('record takes its directory as DIR, not --out')
  if (values.duration && values.samples) throw new CliUsageError('give --duration or --samples, not both')
  const target = targetFromFlags(values)
  if (values.steps && target.kind !== 'replay') throw new CliUsageError('--steps walks a --replay recording')
  const terminal = mode.terminal ?? processTerminal()
  const err = mode.err ?? ((text: string) => process.stderr.write(`${text}\n`))
  const top = positiveInt(values.top, '--top', 10)
  const intervalMs = duration(values.interval, '--interval') ?? 1000
  const samples = values.samples === undefined ? undefined : positiveInt(values.samples, '--samples', 1)
  const durationMs = duration(values.duration, '--duration')
  const alerts = asArgument(() => (values.alert ?? []).map(parseAlert))
  const threshold = oneOf(values.threshold, '--threshold', ['error', 'reset'] as const, 'error')
  // Now rather than when the recording is written, at the end of what may be a long watch.
  if (outDir) await refuseWrongKind(outDir, 'directory')

  // With --json, stdout carries the JSON; the view moves to stderr.
  const viewOut = values.json ? terminal.stderr : terminal.stdout
  const lines = values.json ? err : out
  let view: View | undefined
  if (viewOut) view = liveView(viewOut, `page-budget ${mode.record ? `record ${outDir}` : 'watch'}`, top)
  else if (!mode.record) view = lineView(lines)

  const controller = new AbortController()
  const stop = () => {
    if (controller.signal.aborted) process.exit(130)
    controller.abort()
    err('page-budget: stopping; writing what was collected (press Ctrl-C again to quit at once)')
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  let result: RunResult
  try {
    result = await runWatch({
      target,
      intervalMs,
      ...(samples !== undefined && { samples }),
      ...(durationMs !== undefined && { durationMs }),
      ...(values.steps && { steps: values.steps.split(',') }),
      selector: { frames: values.frames ?? [], ...(values.module && { module: values.module }) },
      // --module narrows both kinds, as it narrows whichever kind diff reads.
      ...(values.sites && { sites: asArgument(() => siteSelector(values.sites!, values.module)) }),
      alerts,
      stopOnAlert: values['stop-on-alert'] ?? false,
      ...(values.exec !== undefined && { exec: values.exec }),
      top,
      ...(outDir && { out: outDir }),
      threshold,
      signal: controller.signal,
      ...(view && { view }),
      ...(terminal.stderr && { progress: terminal.stderr }),
      log: err,
    })
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
  return finish(result, values.json ?? false, out, err)
}

/** The end: the top stacks (or the JSON report), alerts with their times, what was written; the exit code. */
function finish({ report, outcome, files }: RunResult, json: boolean, out: (text: string) => void, err: (text: string) => void): number {
  const { meta } = report
  // With --json, stdout is the JSON alone and the notes go to stderr.
  const note = json ? err : out
  const label = (key: number) => report.labels.get(key) ?? `handle ${key}`
  if (json) out(reportJson(report))
  else {
    const duration = formatElapsed(report.times.at(-1)!)
    out(`${report.times.length} samples over ${duration} (stopped: ${meta.stopped}), ${meta.target}, ${report.selector}:`)
    out(renderTable(
      ['handle', 'first', 'last', 'min', 'peak', 'peak size', 'stack'],
      report.lines.map((line) => [line.key, line.range.first, line.range.last, line.range.min, line.range.max, formatBytes(line.range.max * meta.pageSize), line.label]),
    ))
    if (report.sites) {
      out(`\ncall sites ${report.sites.selector} (bytes; calls first -> last):`)
      out(renderTable(
        ['call site', 'first', 'last', 'min', 'peak', 'peak size', 'calls'],
        report.sites.lines.map((line) => [line.key, line.range.first, line.range.last, line.range.min, line.range.max, formatBytes(line.range.max), `${line.calls.first} -> ${line.calls.last}`]),
      ))
    }
  }
  for (const crossing of report.crossings) note(alertLine(crossing, label, meta.pageSize, meta.startedAt))
  if (report.resolveError) note(`page-budget: ${report.unresolved.length} stacks left unresolved: ${report.resolveError}`)
  if (files.length > 0) note(`page-budget: wrote ${files.join(', ')}`)
  if (outcome.execError !== undefined) note(`page-budget: the workload failed: ${(outcome.execError as Error).message}`)
  else if (outcome.exec && outcome.exec.exitCode !== 0) note(`page-budget: the workload exited with ${outcome.exec.exitCode}: ${outcome.exec.stderr.trim()}`)
  if (report.crossings.some((c) => c.kind === 'crossed')) return 3
  return outcome.execError !== undefined || (outcome.exec?.exitCode ?? 0) !== 0 ? 1 : 0
}

/** \`page-budget watch\`. */
export function watchCommand(argv: string[], out: (text: string) => void): Promise<number> {
  return runWatchCommand(argv, out, { record: false })
}
