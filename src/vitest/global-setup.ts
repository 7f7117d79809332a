import type { TestProject } from 'vitest/node'
import { resolveTargetOptions } from '../session/config.js'

/**
 * Boots the run's VM once, before any worker starts, and hands the workers its socket instead
 * of the qemu options; the VM stops when the run ends (and powers itself off if this process dies).
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const config = project.getProvidedContext().pageBudgetConfig ?? {}
  const target = resolveTargetOptions(config)
  if (target.kind !== 'qemu') return undefined
  const { startVm } = await import('../target/qemu/vm.js')
  const vm = await startVm(target)
  project.provide('pageBudgetConfig', { ...config, target: { kind: 'vm', socketPath: vm.socketPath } })
  return () => vm.stop()
}
