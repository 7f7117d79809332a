import { resolveTargetOptions, type PageBudgetConfig } from './config.js'
import { createTarget } from '../target/create.js'
import { Session } from './session.js'

/** A session on the configured target; closing it closes (and, for qemu, stops) the target. */
export async function openSession(config: PageBudgetConfig = {}): Promise<Session> {
  const target = await createTarget(resolveTargetOptions(config))
  try {
    return await Session.open(target, config)
  } catch (error) {
    await target.close()
    throw error
  }
}
