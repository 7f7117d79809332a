import type { ReplayTarget } from '../target/replay.js'
import type { StopReason } from '../format/recording.js'

/** When to take the next sample, and when sampling is over. */
export interface Ticker {
  /**
   * Waits for sample `index` (cut short when `wake` aborts); its time in ms since the first
   * sample, and why sampling stops, if it does.
   */
  next(index: number, wake?: AbortSignal): Promise<{ at: number; stop?: StopReason }>
}

export interface Limits {
  samples?: number
  durationMs?: number
}

function limitReached(index: number, at: number, limits: Limits, wake: AbortSignal | undefined): StopReason | undefined {
  if (wake?.aborted) return 'interrupted'
  if (limits.samples !== undefined && index >= limits.samples) return 'samples'
  if (limits.durationMs !== undefined && at > limits.durationMs) return 'duration'
  return undefined
}

/**
 * Real time at a fixed rate: sample i is due at i × interval after the first, so slow reads do
 * not make the series drift; a sample that is already late is taken at once, never twice.
 */
export function liveTicker(intervalMs: number, limits: Limits, now: () => number = performance.now.bind(performance)): Ticker {
  let start: number | undefined
  return {
    async next(index, wake) {
      start ??= now()
      const due = index * intervalMs
      const elapsed = () => Math.round(now() - start!)
      const stop = limitReached(index, due, limits, wake)
      if (stop) return { at: elapsed(), stop }
      const wait = due - (now() - start)
      if (wait > 0 && !(await sleep(wait, wake))) return { at: elapsed(), stop: 'interrupted' }
      return { at: Math.max(due, elapsed()) }
    },
  }
}

/** Steps of a recording, back to back: time is the recorded one, or index × interval. */
export function replayTicker(replay: ReplayTarget, steps: readonly string[], intervalMs: number, limits: Limits, times?: readonly number[]): Ticker {
  return {
    async next(index, wake) {
      const at = times?.[index] ?? index * intervalMs
      const stop = index >= steps.length ? 'replay-end' : limitReached(index, at, limits, wake)
      if (stop) return { at, stop }
      replay.step(steps[index])
      return { at }
    },
  }
}

/** Resolves true after `ms`, or false as soon as the signal aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false)
  return new Promise((resolve) => {
    const done = (slept: boolean) => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', aborted)
      resolve(slept)
    }
    const aborted = () => done(false)
    const timer = setTimeout(() => done(true), ms)
    signal?.addEventListener('abort', aborted, { once: true })
  })
}
