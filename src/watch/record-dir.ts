import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { SERIES_FILE } from '../format/recording-files.js'

export interface RecordingFiles {
  start: string
  end: string
  stacks: string
}

/** The sample and stack files of a `page-budget record` directory, or undefined for anything else. */
export function recordingFiles(path: string): RecordingFiles | undefined {
  if (!existsSync(join(path, SERIES_FILE))) return undefined
  return { start: join(path, 'start.show_handles'), end: join(path, 'end.show_handles'), stacks: join(path, 'show_stacks_handles') }
}
