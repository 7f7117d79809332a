import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { kernelCmdline } from '../../../src/target/qemu/vm.js'
import { qemuArgs, QEMU } from '../../../src/target/qemu/qemu.js'
import { running } from './process.js'

const hasQemu = (await execa(QEMU, ['--version'], { reject: false })).exitCode === 0
const CHILD = fileURLToPath(new URL('./qemu-child.mjs', import.meta.url))

describe('QEMU command line', () => {
  it('boots with page_owner on, the swap size for init, and the caller\'s additions', () => {
    expect(kernelCmdline({ kind: 'qemu' })).toBe('console=ttyS0 page_owner=on panic=-1')
    expect(kernelCmdline({ kind: 'qemu', pageOwner: false, swap: 256, append: 'quiet' })).toBe('console=ttyS0 panic=-1 pb.swap=256M quiet')
    expect(kernelCmdline({ kind: 'qemu', swap: '1g' })).toContain('pb.swap=1G')
    expect(kernelCmdline({ kind: 'qemu', swapPageOwner: true })).toBe('console=ttyS0 page_owner=on,swap panic=-1')
    expect(() => kernelCmdline({ kind: 'qemu', swap: '256 MiB' })).toThrow(/is not a size/)
  })

  it('doubles commas in socket and log paths, which QEMU would split at', () => {
    const args = qemuArgs({ kernel: 'k', initrd: 'i', memory: 512, cpus: 1, accel: 'tcg', cmdline: 'c', consoleLog: '/a,b/log', agentSocket: '/s,1/sock', monitorSocket: '/m,1/sock' })
    expect(args).toContain('file,id=console,path=/a,,b/log')
    expect(args).toContain('socket,id=pb,path=/s,,1/sock,server=on,wait=off')
    expect(args).toContain('unix:/m,,1/sock,server=on,wait=off')
  })

  it('steps every vCPU in one thread under TCG, and hands KVM the host CPU', () => {
    const launch = { kernel: 'k', initrd: 'i', memory: 512, cpus: 2, cmdline: 'c', consoleLog: 'l', agentSocket: 's', monitorSocket: 'm' }
    expect(qemuArgs({ ...launch, accel: 'tcg' }).join(' ')).toContain('-accel tcg,thread=single -cpu max')
    expect(qemuArgs({ ...launch, accel: 'kvm' }).join(' ')).toContain('-accel kvm -cpu host')
  })
})

describe.skipIf(!hasQemu)('QEMU does not outlive the process that started it', () => {
  it.each(['exit', 'throw', 'reject', 'SIGTERM', 'SIGINT', 'SIGHUP'])('when that process ends by %s', async (how) => {
    const child = execa('node', [CHILD, how.startsWith('SIG') ? 'wait' : how], { reject: false, buffer: { stdout: false } })
    const line = await new Promise<string>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString())))
    const { pid } = JSON.parse(line) as { pid: number }
    expect(running(pid)).toBe(true)
    if (how.startsWith('SIG')) child.kill(how as NodeJS.Signals)
    await child
    await expect.poll(() => running(pid), { timeout: 5_000 }).toBe(false)
  }, 30_000)
})
