// Boots a VM with the options in argv[2] (JSON), prints { socketPath, pid, bootMs } and waits to
// be killed: the "other process" of the e2e tests (a Vitest globalSetup stands in the same place).
// Plain JS, with the TypeScript source loaded through Vite's module runner.
import { runnerImport } from 'vite'

const { module } = await runnerImport(new URL('../../../src/target/qemu/vm.ts', import.meta.url).pathname)
try {
  const vm = await module.startVm(JSON.parse(process.argv[2]))
  console.log(JSON.stringify({ socketPath: vm.socketPath, pid: vm.pid, bootMs: vm.bootMs }))
  setInterval(() => {}, 1 << 30)
} catch (error) {
  console.log(JSON.stringify({ error: String(error?.message ?? error) }))
  process.exit(1)
}
