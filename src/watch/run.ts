import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { PageBudgetError, UsageError } from '../errors.js'
import type { StackSelector } from '../select/selector.js'
import type { TargetOptions } from '../target/options.js'
import { Session } from '../session/session.js'
import { createTarget } from '../target/create.js'
import { readText } from '../target/read.js'
import { ReplayTarget } from '../target/replay.js'
import type { Target } from '../target/types.js'
import type { AlertSpec } from './alerts.js'
import { Watch, type WatchOutcome } from './engine.js'
import { withReadProgress } from './progress.js'
import { readSeriesFileSync, SERIES_FILE, type RecordMeta } from '../format/recording.js'
import { writeRecording } from './record-write.js'
import { buildReport, type WatchReport } from './summary.js'
import { liveTicker, replayTicker, type Limits, type Ticker } from './ticker.js'
import type { View } from './view.js'

export interface RunOptions extends Limits {
  target: TargetOptions
  intervalMs: number
  /** Replay only: the recorded steps to walk, in order (default: the recording's own order). */
  steps?: string[]
  selector?: StackSelector
  /** Call sites to watch too (`{ sites: [...] }`): allocinfo is then read every sample. */
  sites?: StackSelector
  alerts?: AlertSpec[]
  stopOnAlert?: boolean
  exec?: string
  /** How many stacks the view, chart and tables show. */
  top: number
  /** Write a recording here. */
  out?: string
  threshold?: 'error' | 'reset'
  cacheDir?: string
  signal?: AbortSignal
  view?: View
  /** Where long reads report progress (a terminal's stderr), if anywhere. */
  progress?: (text: string) => void
  log?: (message: string) => void
}

export interface RunResult {
  report: WatchReport
  outcome: WatchOutcome
  /** Files written to `out`. */
  files: string[]
}

/** A replay walks its recording's steps back to back, at the recorded times when it has them. */
function replayPlan(replay: ReplayTarget, options: RunOptions & { target: { kind: 'replay' } }): Ticker {
  const file = join(options.target.dir, SERIES_FILE)
  // A recording's own samples, at their recorded times; otherwise the named (or all) steps.
  const times = options.steps === undefined && existsSync(file) ? readSeriesFileSync(file).series.times : undefined
  const steps = options.steps ?? times?.map((_, i) => String(i)) ?? replay.steps()
  if (steps.length === 0) throw new UsageError(`${options.target.dir} holds no recorded samples`, { hint: 'replay a directory written by `page-budget record`, or one with before.show_handles, after.show_handles, ...' })
  replay.step(steps[0]) // the probe looks at the first instant
  return replayTicker(replay, steps, options.intervalMs, options, times)
}

/**
 * `watch` and `record` end to end: the target, a session on it, the sampling loop with its view,
 * then the report (resolving only the stacks it names) and, with `out`, the recording. Whatever
 * stopped sampling (limits, Ctrl-C, the workload, an alert), what was collected is reported.
 */
export async function runWatch(options: RunOptions): Promise<RunResult> {
  const replay = options.target.kind === 'replay' ? new ReplayTarget(options.target) : undefined
  const ticker = replay ? replayPlan(replay, options as RunOptions & { target: { kind: 'replay' } }) : liveTicker(options.intervalMs, options)
  const created: Target = replay ?? (await createTarget(options.target))
  const target = options.progress ? withReadProgress(created, options.progress) : created
  let session: Session
  try {
    session = await Session.open(target, { threshold: options.threshold ?? 'error', lock: false, ...(options.cacheDir && { cacheDir: options.cacheDir }), ...(options.log && { log: options.log }) })
  } catch (error) {
    await target.close()
    throw error
  }
  try {
    const version = (await target.exists('version')) ? await readText(target, 'version') : undefined
    const startedAt = new Date().toISOString()
    const view = options.view
    const watch: Watch = new Watch(session, {
      ...(options.selector && { selector: options.selector }),
      ...(options.sites && { sites: options.sites }),
      ...(options.alerts && { alerts: options.alerts }),
      ...(options.stopOnAlert && { stopOnAlert: true }),
      ...(options.exec !== undefined && { exec: options.exec }),
      ...(options.signal && { signal: options.signal }),
      ...(view && {
        onSample: (w: Watch, index: number, at: number) => view.sample(w, index, at),
        onAlert: (crossing) => view.alert(watch, crossing),
      }),
    })
    const outcome = await watch.run(ticker)
    view?.end()
    if (watch.series.length === 0) throw new PageBudgetError('E_NO_SAMPLES', 'stopped before the first sample: nothing to report', { hint: 'let the watch take at least one sample' })
    const caps = session.capabilities
    const meta: RecordMeta = {
      target: target.description,
      bootId: caps.bootId,
      kernel: caps.kernel,
      pageSize: caps.pageSize,
      path: caps.path,
      startedAt,
      intervalMs: options.intervalMs,
      stopped: outcome.stopped,
    }
    const report = await buildReport(watch, outcome, meta, options.top)
    const files = options.out ? await writeRecording(options.out, watch.series, watch.sites, report, version) : []
    return { report, outcome, files }
  } finally {
    // A target that died with the watch (a VM stopped by the same Ctrl-C) must not hide what was written.
    await session.close().catch((error: unknown) => options.log?.(`page-budget: closing ${target.description}: ${(error as Error).message}`))
  }
}
