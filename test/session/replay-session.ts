import { Session } from '../../src/session/session.js'
import type { SessionOptions } from '../../src/session/options.js'
import { ReplayTarget } from '../../src/target/replay.js'
import { CAPTURE, tempDir } from '../helpers.js'

/** A session over a recorded dd capture (default: 7.2.13's), starting at step `before`, with a private cache. */
export async function captureSession(options: SessionOptions = {}, dir = CAPTURE): Promise<{ session: Session; replay: ReplayTarget }> {
  const replay = new ReplayTarget({ dir, step: 'before' })
  const session = await Session.open(replay, { cacheDir: tempDir(), ...options })
  return { session, replay }
}
