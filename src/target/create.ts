import type { TargetOptions } from './options.js'
import { CommandTarget } from './command.js'
import { LocalTarget } from './local.js'
import { ReplayTarget } from './replay.js'
import type { Target } from './types.js'

/** The Target for a target option. A `qemu` target boots its VM here and stops it on close(). */
export async function createTarget(options: TargetOptions): Promise<Target> {
  switch (options.kind) {
    case 'local':
      return new LocalTarget(options)
    case 'command':
      return new CommandTarget(options)
    case 'replay':
      return new ReplayTarget(options)
    case 'qemu': {
      const { startVm } = await import('./qemu/vm.js')
      const vm = await startVm(options)
      return ownedBy(vm.target, () => vm.stop())
    }
    case 'vm': {
      const { connectVm } = await import('./qemu/client.js')
      return connectVm(options.socketPath)
    }
  }
}

/** The target, with close() also stopping what it runs on. */
function ownedBy(target: Target, stop: () => Promise<void>): Target {
  return {
    description: target.description,
    ...(target.disposable && { disposable: true }),
    ...(target.kernelImage && { kernelImage: target.kernelImage }),
    ...(target.locate && { locate: (file) => target.locate!(file) }),
    read: (file) => target.read(file),
    exists: (file) => target.exists(file),
    ...(target.write && { write: (file, text) => target.write!(file, text) }),
    ...(target.kernelLog && { kernelLog: () => target.kernelLog!() }),
    ...(target.exec && { exec: (command, options) => target.exec!(command, options) }),
    async close() {
      await target.close()
      await stop()
    },
  }
}
