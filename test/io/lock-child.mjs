// A process of lock.test.ts, running the built module (npm run build): Vite's module runner would
// take a second or more to start each of the eight racers.
//   race <lock> <times>: once the parent says go, takes the lock <times> times, holding it 0-20 ms
//     each time, and sends each held interval as [acquiredAt, releasedAt] on the clock all
//     processes share (performance.timeOrigin + performance.now()).
//   hold <lock>: takes the lock, says so, and keeps it until it is killed.
import { acquireLock } from '../../dist/io/lock.js'

const [mode, path, times] = process.argv.slice(2)
const now = () => performance.timeOrigin + performance.now()

if (mode === 'hold') {
  await acquireLock(path)
  process.send('held')
  setInterval(() => {}, 1 << 30)
} else {
  process.send('ready')
  await new Promise((resolve) => process.once('message', resolve))
  const intervals = []
  for (let i = 0; i < Number(times); i++) {
    const lock = await acquireLock(path, { timeout: 60_000 })
    const acquiredAt = now()
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 20))
    intervals.push([acquiredAt, now()])
    await lock.release()
  }
  process.send(intervals)
  process.disconnect()
}
