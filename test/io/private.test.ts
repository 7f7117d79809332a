import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, mkdirSync, statSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { UnsafeDirectoryError } from '../../src/errors.js'
import { privateDir, privateTempDir } from '../../src/io/cache-dir.js'
import { acquireLock } from '../../src/io/lock.js'
import { startBroker } from '../../src/target/qemu/broker.js'
import { AgentHub } from '../../src/target/qemu/hub.js'
import { tempDir } from '../helpers.js'

const NOBODY = 65534
const mode = (path: string): number => statSync(path).mode & 0o7777

/** 0277 would leave even the owner without write and search rights; 0 would give everyone everything. */
async function withUmask<T>(umask: number, f: () => Promise<T>): Promise<T> {
  const previous = process.umask(umask)
  try {
    return await f()
  } finally {
    process.umask(previous)
  }
}

describe('privateDir', () => {
  it('creates the directory and its missing parents 0700, whatever the umask', async () => {
    const root = tempDir()
    const path = join(root, 'cache', 'locks')
    expect(await withUmask(0o277, () => privateDir(path))).toBe(path)
    expect(mode(join(root, 'cache'))).toBe(0o700)
    expect(mode(path)).toBe(0o700)
  })
  it('leaves an existing directory that others may only read as it is', async () => {
    const path = tempDir()
    chmodSync(path, 0o755)
    await privateDir(path)
    expect(mode(path)).toBe(0o755)
  })
  it("takes group and others' write away from a directory of this user's", async () => {
    const path = tempDir()
    chmodSync(path, 0o777)
    await privateDir(path)
    expect(mode(path)).toBe(0o755)
  })
  it('refuses a sticky directory that others may write to, such as /tmp, and leaves its mode', async () => {
    const path = tempDir()
    chmodSync(path, 0o1777)
    const error = await privateDir(path).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnsafeDirectoryError)
    expect((error as UnsafeDirectoryError).path).toBe(path)
    expect((error as UnsafeDirectoryError).hint).toMatch(/chmod go-w/)
    expect(mode(path)).toBe(0o1777)
  })
})

describe('privateTempDir', () => {
  it('is 0700 whatever the umask', async () => {
    expect(mode(await withUmask(0o277, () => privateTempDir('page-budget-test-')))).toBe(0o700)
  })
})

describe('acquireLock', () => {
  it('makes the lock file 0600, and the directories it creates 0700, whatever the umask', async () => {
    const root = tempDir()
    const path = join(root, 'cache', 'locks', 'boot')
    const lock = await withUmask(0o277, () => acquireLock(path))
    expect([mode(path), mode(join(root, 'cache', 'locks')), mode(join(root, 'cache'))]).toEqual([0o600, 0o700, 0o700])
    await lock.release()
  })
})

// Root may open anything, so only a child running as another user can show what others cannot do.
describe.skipIf(process.getuid?.() !== 0)('other users (needs root, to run a child as nobody, uid 65534)', () => {
  /** Runs a CommonJS script as nobody with `path` as process.argv[1]; returns what it printed. */
  function asNobody(script: string, path: string): string {
    return execFileSync(process.execPath, ['-e', script, path], { uid: NOBODY, gid: NOBODY, encoding: 'utf8' }).trim()
  }
  /** A directory nobody may enter and read, so that only what the product code made keeps nobody out. */
  function openDir(): string {
    const dir = tempDir()
    chmodSync(dir, 0o755)
    return dir
  }

  it('cannot open, take or remove a held lock file', async () => {
    const dir = openDir()
    // Beside a baseline file (a directory others may read) and in the cache (a locks directory it creates).
    for (const path of [join(dir, 'baseline.json.lock'), join(dir, 'cache', 'locks', 'boot')]) {
      const lock = await acquireLock(path)
      const tried = JSON.parse(asNobody(`
        const fs = require('node:fs')
        const path = process.argv[1]
        const attempt = (f) => { try { f(); return 'done' } catch (error) { return error.code } }
        const flock = require('node:child_process').spawnSync('flock', ['--nonblock', path, 'true'], { encoding: 'utf8' })
        console.log(JSON.stringify({ open: attempt(() => fs.openSync(path, 'r')), remove: attempt(() => fs.unlinkSync(path)), flock: flock.stderr.trim() }))
      `, path)) as Record<string, string>
      expect(tried).toEqual({ open: 'EACCES', remove: 'EACCES', flock: expect.stringMatching(/cannot open lock file.*Permission denied/) })
      await lock.release()
    }
  })

  it('cannot connect to the broker socket', async () => {
    const socketPath = join(openDir(), 'broker.sock')
    // Under umask 0 the socket would be open to all if the broker did not narrow it.
    const broker = await withUmask(0, () => startBroker(new AgentHub(() => {}), socketPath, { description: 'permission test' }))
    try {
      expect(mode(socketPath)).toBe(0o600)
      // The same connect as root gets through, so what stops nobody is the socket's mode.
      await new Promise<void>((resolve, reject) => connect(socketPath).once('connect', function (this: ReturnType<typeof connect>) {
        this.destroy()
        resolve()
      }).once('error', reject))
      expect(asNobody(`
        require('node:net').connect(process.argv[1])
          .once('connect', () => { console.log('connected'); process.exit(0) })
          .once('error', (error) => console.log(error.code))
      `, socketPath)).toBe('EACCES')
    } finally {
      await broker.close()
    }
  })

  it("refuses another user's directory that others may write to", async () => {
    const path = join(openDir(), 'shared')
    mkdirSync(path)
    chownSync(path, NOBODY, NOBODY)
    chmodSync(path, 0o777)
    await expect(privateDir(path)).rejects.toThrow(UnsafeDirectoryError)
    expect(mode(path)).toBe(0o777)
  })
})
