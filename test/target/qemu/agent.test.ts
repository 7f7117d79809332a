import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { release } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FileMissingError, TargetError } from '../../../src/errors.js'
import { tempDir } from '../../helpers.js'
import { startHostAgent, type HostAgent } from './host-agent.js'

/** Whether a process whose command line contains `marker` is still running. */
async function running(marker: string): Promise<boolean> {
  return (await execa('pgrep', ['-f', marker], { reject: false })).exitCode === 0
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<{ bytes: Buffer; chunks: number[] }> {
  const parts: Uint8Array[] = []
  for await (const chunk of source) parts.push(chunk)
  return { bytes: Buffer.concat(parts), chunks: parts.map((part) => part.length) }
}

describe('guest agent (run on the host with --stdio)', () => {
  let agent: HostAgent
  const dir = tempDir('page-budget-agent-')

  beforeAll(async () => {
    agent = await startHostAgent()
  }, 60_000)
  afterAll(() => {
    agent.child.kill('SIGKILL')
  })

  it('says HELLO with boot id, kernel release and page size', () => {
    expect(agent.hello.boot_id).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim())
    expect(agent.hello.release).toBe(release())
    expect(Number(agent.hello.page_size)).toBeGreaterThanOrEqual(4096)
  })

  it('runs a command with /bin/sh -c and returns stdout, stderr and exit code', async () => {
    const result = await agent.channel.exec('echo out; echo err >&2; exit 3', 10_000)
    expect(result).toEqual({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' })
  })

  it('reports a command killed by a signal as 128 + signal', async () => {
    expect((await agent.channel.exec('kill -9 $$', 10_000)).exitCode).toBe(137)
  })

  it('runs many commands at once, each answered with its own output', async () => {
    const started = Date.now()
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => agent.channel.exec(`sleep 0.3; echo ${i}; echo e${i} >&2`, 10_000)),
    )
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`))
    expect(results.map((r) => r.stderr)).toEqual(Array.from({ length: 20 }, (_, i) => `e${i}\n`))
    // Serially this would take 6 s.
    expect(Date.now() - started).toBeLessThan(3_000)
  })

  it('carries a large stdout whole', async () => {
    const result = await agent.channel.exec('head -c 5000000 /dev/zero | tr "\\0" x', 20_000)
    expect(result.stdout.length).toBe(5_000_000)
  })

  it('does not wait for background processes that keep the pipes open', async () => {
    const started = Date.now()
    const result = await agent.channel.exec('sleep 30.1 & echo $!', 10_000)
    expect(Date.now() - started).toBeLessThan(2_000)
    process.kill(Number(result.stdout), 'SIGKILL')
  })

  it('reads a file with all 256 byte values unchanged', async () => {
    const path = join(dir, 'bytes')
    const data = Buffer.concat(Array.from({ length: 300 }, () => Uint8Array.from({ length: 256 }, (_, i) => i)))
    writeFileSync(path, data)
    expect((await collect(agent.channel.read(path))).bytes.equals(data)).toBe(true)
  })

  it('streams a large file in chunks of at most 64 KiB, past the 1 MiB window', async () => {
    const path = join(dir, 'large')
    const data = randomBytes(9 * 1024 * 1024 + 123)
    writeFileSync(path, data)
    const { bytes, chunks } = await collect(agent.channel.read(path))
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'))
    expect(Math.max(...chunks)).toBe(64 * 1024)
  })

  it('reads an empty file as no chunks', async () => {
    const path = join(dir, 'empty')
    writeFileSync(path, '')
    expect((await collect(agent.channel.read(path))).chunks).toEqual([])
  })

  it('rejects a missing file with FileMissingError, for read and stat', async () => {
    await expect(collect(agent.channel.read(join(dir, 'absent')))).rejects.toBeInstanceOf(FileMissingError)
    await expect(agent.channel.stat(join(dir, 'absent'))).rejects.toBeInstanceOf(FileMissingError)
  })

  it('rejects other read errors with TargetError', async () => {
    await expect(collect(agent.channel.read(dir))).rejects.toThrow(/Is a directory/)
  })

  it('writes a file', async () => {
    const path = join(dir, 'written')
    await agent.channel.write(path, Buffer.from('0\n'))
    expect(readFileSync(path, 'utf8')).toBe('0\n')
    await expect(agent.channel.write(join(dir, 'no/such/dir'), Buffer.from('x'))).rejects.toBeInstanceOf(FileMissingError)
  })

  it('cancels a read the consumer stops early, and keeps serving', async () => {
    const path = join(dir, 'large-again')
    writeFileSync(path, randomBytes(4 * 1024 * 1024))
    for await (const chunk of agent.channel.read(path)) {
      expect(chunk.length).toBeGreaterThan(0)
      break
    }
    expect((await agent.channel.exec('echo still here', 10_000)).stdout).toBe('still here\n')
  })

  it('kills a command that outlives its timeout, with its whole process group', async () => {
    const started = Date.now()
    await expect(agent.channel.exec('sleep 30.2 & sleep 30.3', 300)).rejects.toThrow(TargetError)
    await expect(agent.channel.exec('sleep 30.4', 200)).rejects.toThrow(/timed out after 200 ms/)
    expect(Date.now() - started).toBeLessThan(2_000)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(await running('sleep 30.[234]')).toBe(false)
  })

  it('exits, killing what runs, when the host closes the connection', async () => {
    const other = await startHostAgent()
    const pending = other.channel.exec('sleep 30.5', 60_000)
    await new Promise((resolve) => setTimeout(resolve, 200))
    other.child.stdin!.end()
    expect(await other.exited).toBe(0)
    // SIGKILL is sent before the agent exits; the kernel may take a moment to end the process.
    await expect.poll(() => running('sleep 30.5'), { timeout: 2000 }).toBe(false)
    // Nothing else fails it here: the test's transport has no owner to report the exit.
    other.channel.fail(new Error('gone'))
    await expect(pending).rejects.toThrow('gone')
  })
})
