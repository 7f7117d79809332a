import { mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { MissingToolError, UsageError } from '../../../src/errors.js'
import { initFailure } from '../../../src/target/qemu/console.js'
import { attachDevices, checkMkfs, deviceCmdline, planDevices } from '../../../src/target/qemu/devices.js'
import { qemuArgs } from '../../../src/target/qemu/qemu.js'
import { shellLine, shellQuote } from '../../../src/target/exec.js'
import { kernelCmdline } from '../../../src/target/qemu/vm.js'
import { rejection, tempDir } from '../../helpers.js'

const hasMkfs = (await execa('mkfs.ext4', ['-V'], { reject: false, env: { PATH: `${process.env.PATH}:/usr/sbin:/sbin` } })).exitCode === 0

describe('shares and disks on the QEMU command line', () => {
  it('tells the guest init every share, disk and the host root on the kernel command line', async () => {
    const dir = tempDir()
    const plan = await planDevices({ share: [{ host: dir, guest: '/work/src/' }, { host: dir, guest: '/out', readOnly: false }], hostRoot: true })
    expect(deviceCmdline(plan)).toEqual(['pb.hostroot=pbroot', 'pb.share=pb0:/work/src:ro', 'pb.share=pb1:/out:rw'])
    expect(kernelCmdline({ kind: 'qemu', swap: 64 }, plan)).toBe('console=ttyS0 page_owner=on panic=-1 pb.swap=64M pb.hostroot=pbroot pb.share=pb0:/work/src:ro pb.share=pb1:/out:rw')
  })

  it('exports shares over virtio-9p, read-only on the host side too, with commas doubled', async () => {
    const dir = join(tempDir(), 'a,b')
    mkdirSync(dir)
    const plan = await planDevices({ share: [{ host: dir, guest: '/ro' }, { host: dir, guest: '/rw', readOnly: false }], hostRoot: true })
    const args = await attachDevices(plan, tempDir())
    expect(args).toEqual([
      '-fsdev', 'local,id=pbroot,path=/,security_model=none,readonly=on,multidevs=remap',
      '-device', 'virtio-9p-pci,fsdev=pbroot,mount_tag=pbroot',
      '-fsdev', `local,id=pb0,path=${dir.replace(',', ',,')},security_model=none,readonly=on`,
      '-device', 'virtio-9p-pci,fsdev=pb0,mount_tag=pb0',
      '-fsdev', `local,id=pb1,path=${dir.replace(',', ',,')},security_model=none`,
      '-device', 'virtio-9p-pci,fsdev=pb1,mount_tag=pb1',
    ])
    const launch = { kernel: 'k', initrd: 'i', memory: 512, cpus: 1, accel: 'tcg' as const, cmdline: 'c', consoleLog: 'l', agentSocket: 's', monitorSocket: 'm' }
    expect(qemuArgs({ ...launch, devices: args }).slice(-args.length)).toEqual(args)
  })

  it.skipIf(!hasMkfs)('formats each disk as a sparse ext4 image in the run dir and attaches it by serial', async () => {
    const runDir = tempDir()
    const plan = await planDevices({ disks: [{ size: '64M', fs: 'ext4', mount: '/mnt/ext4' }, { size: 16, mount: '/data' }] })
    expect(deviceCmdline(plan)).toEqual(['pb.disk=pbdisk0:/mnt/ext4:ext4', 'pb.disk=pbdisk1:/data:ext4'])
    const args = await attachDevices(plan, runDir)
    const image = join(runDir, 'pbdisk0.img')
    expect(args.slice(0, 4)).toEqual([
      '-drive', `file=${image},if=none,id=pbdisk0,format=raw,cache=unsafe,discard=unmap`,
      '-device', 'virtio-blk-pci,drive=pbdisk0,serial=pbdisk0',
    ])
    const info = statSync(image)
    expect(info.size).toBe(64 << 20)
    // Sparse: mkfs wrote its tables, not 64 MiB.
    expect(info.blocks * 512).toBeLessThan(32 << 20)
    const { stdout } = await execa('dumpe2fs', ['-h', image], { env: { PATH: `${process.env.PATH}:/usr/sbin:/sbin` } })
    expect(stdout).toMatch(/Filesystem magic number:\s+0xEF53/)
    expect(statSync(join(runDir, 'pbdisk1.img')).size).toBe(16 << 20)
  })

  it('refuses what would hang or break the boot, naming the option', async () => {
    const dir = tempDir()
    const file = join(dir, 'file')
    writeFileSync(file, '')
    const cases: Array<[Parameters<typeof planDevices>[0], RegExp]> = [
      [{ share: [{ host: join(dir, 'missing'), guest: '/x' }] }, /^share\[0\]\.host: .*missing does not exist on the host/],
      [{ share: [{ host: file, guest: '/x' }] }, /^share\[0\]\.host: .*file is not a directory/],
      [{ share: [{ host: dir, guest: 'relative' }] }, /^share\[0\]\.guest: expected an absolute guest path/],
      [{ share: [{ host: dir, guest: '/has space' }] }, /^share\[0\]\.guest: "\/has space" has characters/],
      [{ share: [{ host: dir, guest: '/a:b' }] }, /has characters the guest's command line cannot carry/],
      [{ share: [{ host: dir, guest: '/proc/x' }] }, /^share\[0\]\.guest: \/proc\/x would hide the guest's own \/proc/],
      [{ share: [{ host: dir, guest: '/tmp' }] }, /would hide the guest's own \/tmp/],
      [{ share: [{ host: dir, guest: '/w' }], disks: [{ size: 64, mount: '/w/disk' }] }, /^disks\[0\]\.mount: \/w\/disk overlaps \/w/],
      [{ disks: [{ size: '1 GiB', mount: '/d' }] }, /^disks\[0\]\.size: "1 GiB" is not a disk size/],
      [{ disks: [{ size: 4, mount: '/d' }] }, /is not a disk size of 8 MiB or more/],
      [{ disks: [{ size: 64, fs: 'xfs' as 'ext4', mount: '/d' }] }, /^disks\[0\]\.fs: "xfs" is not a file system page-budget can make\n  hint: use one of ext4/],
    ]
    for (const [options, message] of cases) {
      const error = await rejection(planDevices(options))
      expect(error).toBeInstanceOf(UsageError)
      expect(error.message).toMatch(message)
    }
  })

  it('names mkfs.ext4 and its package when it is missing', async () => {
    const error = await rejection(checkMkfs(tempDir()))
    expect(error).toBeInstanceOf(MissingToolError)
    expect(error).toMatchObject({ tool: 'mkfs.ext4', code: 'E_MISSING_TOOL' })
    expect(error.message).toMatch(/mkfs\.ext4, which is not installed\n  hint: apt-get install -y e2fsprogs/)
  })
})

describe('the guest side', () => {
  it('reads what the guest init said before it powered off: the last problem, with its fix', async () => {
    const log = join(tempDir(), 'console.log')
    writeFileSync(log, [
      '[    1.0] virtio_blk virtio2: [vda] 131072 512-byte logical blocks',
      'page-budget init: mount 9p share pb0 at /x failed\r',
      'page-budget init: fix: no virtio 9p device with that tag\r',
      '[    1.2] reboot: Power down',
    ].join('\n'))
    expect(await initFailure(log)).toEqual({ problem: 'mount 9p share pb0 at /x failed', fix: 'no virtio 9p device with that tag' })
    writeFileSync(log, 'page-budget init: mount /proc\n')
    expect(await initFailure(log)).toEqual({ problem: 'mount /proc', fix: undefined })
    writeFileSync(log, 'Kernel panic - not syncing: VFS\n')
    expect(await initFailure(log)).toBeUndefined()
  })

  it('runs a command from a directory, quoted for any name, and not at all when the directory is missing', async () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`)
    const dir = join(tempDir(), "a dir's $(name)")
    mkdirSync(dir)
    const run = (command: string) => execa('/bin/sh', ['-c', command], { reject: false })
    expect((await run(shellLine('pwd; echo "$0" | wc -l', dir))).stdout).toBe(`${dir}\n1`)
    const missing = await run(shellLine('echo ran', join(dir, 'missing')))
    expect(missing.exitCode).toBe(1)
    expect(missing.stdout).toBe('')
    expect(missing.stderr).toMatch(/missing/)
    expect(shellLine('echo ran', undefined)).toBe('echo ran')
  })
})
