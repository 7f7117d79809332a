import { kernelTag, type KernelTag } from '../kernel-build/tag.js'
import type { Session } from './session.js'

const tags = new WeakMap<Session, Promise<KernelTag>>()

/**
 * The kernel a session measures, as reports tag each test with: the release the kernel reports,
 * and for a kernel the target booted, its source and config (worked out once per session).
 */
export function sessionKernel(session: Session): Promise<KernelTag> {
  let tag = tags.get(session)
  if (!tag) tags.set(session, (tag = kernelTag(session.capabilities.kernel, session.target.kernelImage)))
  return tag
}
