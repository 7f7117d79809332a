import { OPTIONS_USAGE, runWatchCommand, TARGET_USAGE } from './watch.js'

export const usage = `page-budget record DIR [where] ${OPTIONS_USAGE.trim()}
${TARGET_USAGE}
  A watch written to DIR as a replayable recording: series.json (per-sample deltas by handle),
  show_stacks_handles (only the stacks the output names), boot_id, version, start/end.show_handles,
  summary.json, series.csv and chart.html. Read it back with \`top DIR\`, \`diff DIR\` or --replay DIR.`

/** \`page-budget record\`: a watch that writes a recording, quiet off a terminal. */
export function recordCommand(argv: string[], out: (text: string) => void): Promise<number> {
  return runWatchCommand(argv, out, { record: true })
}
