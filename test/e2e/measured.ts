import type { Measurement } from '../../src/session/measurement.js'
import type { Session } from '../../src/session/session.js'
import { endSection } from '../../src/verdict/section.js'

/** A measured section of `session` around `body`, ended (lock released) whatever happens: for e2e files that boot their own VMs, without the frameworks' fixtures. */
export async function measured(session: Session, body: (pageOwner: Measurement) => Promise<void>): Promise<void> {
  const pageOwner = await session.begin()
  try {
    await body(pageOwner)
  } finally {
    await endSection(pageOwner)
  }
}
