import { fork, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { LockTimeoutError, MissingToolError } from '../../src/errors.js'
import { acquireLock } from '../../src/io/lock.js'
import { tempDir } from '../helpers.js'

const CHILD = new URL('./lock-child.mjs', import.meta.url).pathname
const children: ChildProcess[] = []

function child(...args: string[]): ChildProcess {
  const process = fork(CHILD, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  children.push(process)
  return process
}

function message<T>(process: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    process.once('message', (value) => resolve(value as T))
    process.once('exit', (code) => reject(new Error(`lock-child exited with ${code} before sending`)))
  })
}

afterEach(() => {
  for (const process of children.splice(0)) process.kill('SIGKILL')
})

describe('acquireLock', () => {
  it('lets one of many racing processes hold it at a time', async () => {
    const lock = join(tempDir(), 'locks', 'race')
    const racers = Array.from({ length: 8 }, () => child('race', lock, '5'))
    await Promise.all(racers.map((racer) => message<string>(racer)))
    const sent = racers.map((racer) => message<Array<[number, number]>>(racer))
    for (const racer of racers) racer.send('go')
    const held = (await Promise.all(sent)).flat().sort((a, b) => a[0] - b[0])
    expect(held).toHaveLength(40)
    // Each section starts after the one before it ended: the gaps between them are all positive.
    const gaps = held.slice(1).map(([acquiredAt], i) => acquiredAt - held[i]![1])
    expect(Math.min(...gaps)).toBeGreaterThan(0)
    // The last holder unlinked the file on release.
    expect(existsSync(lock)).toBe(false)
  }, 60_000)

  it('is free as soon as a holder is SIGKILLed', async () => {
    const lock = join(tempDir(), 'lock')
    const holder = child('hold', lock)
    expect(await message(holder)).toBe('held')
    let settled = false
    const waiting = acquireLock(lock, { timeout: 10_000 }).finally(() => (settled = true))
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(settled).toBe(false)
    const killedAt = performance.now()
    holder.kill('SIGKILL')
    const mine = await waiting
    expect(performance.now() - killedAt).toBeLessThan(1_000)
    await mine.release()
  }, 30_000)

  it('excludes a second holder in the same process, which times out with LockTimeoutError', async () => {
    const lock = join(tempDir(), 'lock')
    const first = await acquireLock(lock)
    const started = performance.now()
    const error = await acquireLock(lock, { timeout: 300, what: 'test section' }).catch((e: unknown) => e)
    expect(performance.now() - started).toBeGreaterThanOrEqual(290)
    expect(error).toBeInstanceOf(LockTimeoutError)
    expect((error as LockTimeoutError).lock).toBe(lock)
    expect((error as LockTimeoutError).message).toMatch(/^waited 300 ms for another process's test section/)
    await first.release()
  })

  it('hands over to the next caller in the same process on release', async () => {
    const lock = join(tempDir(), 'lock')
    const order: string[] = []
    const first = await acquireLock(lock)
    const second = acquireLock(lock).then((held) => {
      order.push('second')
      return held
    })
    await new Promise((resolve) => setTimeout(resolve, 100))
    order.push('first releases')
    await first.release()
    await (await second).release()
    expect(order).toEqual(['first releases', 'second'])
    expect(existsSync(lock)).toBe(false)
  })

  it('says flock is missing, with the package to install', async () => {
    const path = process.env.PATH
    process.env.PATH = tempDir()
    try {
      const error = await acquireLock(join(tempDir(), 'lock')).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(MissingToolError)
      expect((error as MissingToolError).hint).toBe('apt-get install util-linux')
    } finally {
      process.env.PATH = path
    }
  })

  describe('a lock directory left by an older page-budget', () => {
    it('is removed when its owner died', async () => {
      const lock = join(tempDir(), 'lock')
      mkdirSync(lock)
      writeFileSync(join(lock, 'owner'), String(spawnSync('true').pid))
      const held = await acquireLock(lock, { timeout: 1_000 })
      expect(statSync(lock).isFile()).toBe(true)
      await held.release()
    })
    it('is waited for while its owner runs', async () => {
      const lock = join(tempDir(), 'lock')
      mkdirSync(lock)
      writeFileSync(join(lock, 'owner'), String(process.ppid))
      await expect(acquireLock(lock, { timeout: 300 })).rejects.toThrow(LockTimeoutError)
      expect(statSync(lock).isDirectory()).toBe(true)
    })
  })
})
