import { resolveTargetOptions, type PageBudgetConfig } from '../session/config.js'
import type { TargetOptions } from '../target/options.js'

/** How globalSetup tells the workers where the run's VMs are: target options (JSON) -> broker socket. */
const ENV = 'PAGE_BUDGET_PLAYWRIGHT_VMS'

const keyOf = (target: TargetOptions) => JSON.stringify(target)
const isQemu = (target: TargetOptions): target is Extract<TargetOptions, { kind: 'qemu' }> => target.kind === 'qemu'

/**
 * Boots one VM per distinct qemu target among the projects' configs, before any worker starts,
 * and publishes their sockets in the environment the workers inherit. Returns the teardown.
 */
export async function bootSharedVms(configs: readonly PageBudgetConfig[]): Promise<() => Promise<void>> {
  const targets = new Map(configs.map(resolveTargetOptions).filter(isQemu).map((target) => [keyOf(target), target] as const))
  if (targets.size === 0) return async () => {}
  const { startVm } = await import('../target/qemu/vm.js')
  const vms = await Promise.allSettled([...targets.values()].map((target) => startVm(target)))
  const booted = vms.flatMap((vm) => (vm.status === 'fulfilled' ? [vm.value] : []))
  const stop = async () => void (await Promise.all(booted.map((vm) => vm.stop())))
  const failed = vms.find((vm) => vm.status === 'rejected')
  if (failed) {
    await stop()
    throw failed.reason
  }
  process.env[ENV] = JSON.stringify(Object.fromEntries([...targets.keys()].map((key, i) => [key, booted[i]!.socketPath])))
  return stop
}

/** The config a worker opens its session with: a qemu target becomes the VM globalSetup booted for it, when there is one. */
export function withSharedVm(config: PageBudgetConfig): PageBudgetConfig {
  const target = resolveTargetOptions(config)
  const sockets = JSON.parse(process.env[ENV] ?? '{}') as Record<string, string>
  const socketPath = target.kind === 'qemu' ? sockets[keyOf(target)] : undefined
  return socketPath ? { ...config, target: { kind: 'vm', socketPath } } : config
}
