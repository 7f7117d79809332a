// Starts a paused QEMU through spawnQemu, prints its pid, then leaves the way argv[2] says:
// `exit`, `throw` (uncaught exception), `reject` (unhandled rejection), or `wait` for a signal.
// Plain JS, with the TypeScript source loaded through Vite's module runner.
import { runnerImport } from 'vite'

const { module } = await runnerImport(new URL('../../../src/target/qemu/qemu.ts', import.meta.url).pathname)
const qemu = module.spawnQemu(['-S', '-machine', 'none', '-nodefaults', '-display', 'none'])
console.log(JSON.stringify({ pid: qemu.pid }))
setInterval(() => {}, 1000)
setTimeout(() => {
  if (process.argv[2] === 'exit') process.exit(0)
  if (process.argv[2] === 'throw') throw new Error('uncaught on purpose')
  if (process.argv[2] === 'reject') void Promise.reject(new Error('unhandled on purpose'))
}, 300)
