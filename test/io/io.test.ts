import { fork } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { TargetError } from '../../src/errors.js'
import { writeFileAtomic } from '../../src/io/atomic.js'
import { acquireLock } from '../../src/io/lock.js'
import { tempDir } from '../helpers.js'

describe('writeFileAtomic', () => {
  it('replaces the whole file and leaves no temporary behind', async () => {
    const dir = tempDir()
    const file = join(dir, 'deep', 'report.json')
    await writeFileAtomic(file, 'one')
    await writeFileAtomic(file, 'two')
    expect(readFileSync(file, 'utf8')).toBe('two')
    expect(readdirSync(join(dir, 'deep'))).toEqual(['report.json'])
  })
  it('keeps the previous version when the write fails', async () => {
    const dir = tempDir()
    const file = join(dir, 'report.json')
    writeFileSync(file, 'previous')
    mkdirSync(join(dir, 'blocker'))
    await expect(writeFileAtomic(join(dir, 'blocker'), 'x')).rejects.toThrow()
    expect(readFileSync(file, 'utf8')).toBe('previous')
    expect(readdirSync(dir).sort()).toEqual(['blocker', 'report.json'])
  })
})

describe('acquireLock', () => {
  it('queues holders inside one process', async () => {
    const dir = join(tempDir(), 'lock')
    const order: string[] = []
    const first = await acquireLock(dir)
    const second = acquireLock(dir).then((lock) => {
      order.push('second')
      return lock
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    order.push('first releases')
    await first.release()
    await (await second).release()
    expect(order).toEqual(['first releases', 'second'])
    expect(existsSync(dir)).toBe(false)
  })
  it('times out with a named error while another live process holds it', async () => {
    const dir = join(tempDir(), 'lock')
    mkdirSync(dir)
    writeFileSync(join(dir, 'owner'), String(process.ppid))
    await expect(acquireLock(dir, { timeout: 100 })).rejects.toThrow(TargetError)
  })
  it('takes over a lock whose owner died', async () => {
    const dir = join(tempDir(), 'lock')
    const child = fork('-e', [], { execArgv: ['-e', 'process.exit(0)'] })
    await new Promise((resolve) => child.on('exit', resolve))
    mkdirSync(dir)
    writeFileSync(join(dir, 'owner'), String(child.pid))
    const lock = await acquireLock(dir, { timeout: 1000 })
    expect(readFileSync(join(dir, 'owner'), 'utf8')).toBe(String(process.pid))
    await lock.release()
  })
})
