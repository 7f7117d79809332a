import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { cpioArchive } from '../../../src/target/qemu/cpio.js'
import { buildInitramfs, INIT_SCRIPT } from '../../../src/target/qemu/image.js'
import { tempDir } from '../../helpers.js'

const hasCpio = (await execa('cpio', ['--version'], { reject: false })).exitCode === 0
const hasBusybox = existsSync('/bin/busybox')

async function unpack(archive: Uint8Array): Promise<string> {
  const dir = tempDir('page-budget-cpio-')
  // --no-absolute-filenames keeps it in dir; -d makes directories; device nodes need root, so list them instead.
  await execa('cpio', ['-idm', '--no-absolute-filenames', '--quiet', '--nonmatching', 'dev/console'], { cwd: dir, input: Buffer.from(archive) })
  return dir
}

describe.skipIf(!hasCpio)('newc cpio writer (checked with GNU cpio)', () => {
  it('writes files, directories, symlinks and device nodes GNU cpio reads back', async () => {
    const data = Uint8Array.from({ length: 1001 }, (_, i) => i % 256)
    const archive = cpioArchive([
      { kind: 'dir', path: 'bin' },
      { kind: 'file', path: 'bin/tool', data, mode: 0o755 },
      { kind: 'symlink', path: 'bin/alias', target: '/bin/tool' },
      { kind: 'dir', path: 'dev' },
      { kind: 'char', path: 'dev/console', major: 5, minor: 1 },
      { kind: 'file', path: 'odd-name-length', data: Buffer.from('x') },
    ])
    expect(archive.length % 4).toBe(0)
    const listing = await execa('cpio', ['-itv', '--quiet'], { input: archive })
    expect(listing.stdout).toMatch(/^crw-------.*5,\s+1.* dev\/console$/m)
    const dir = await unpack(archive)
    expect(readFileSync(join(dir, 'bin/tool')).equals(Buffer.from(data))).toBe(true)
    expect(statSync(join(dir, 'bin/tool')).mode & 0o777).toBe(0o755)
    expect(readlinkSync(join(dir, 'bin/alias'))).toBe('/bin/tool')
    expect(readFileSync(join(dir, 'odd-name-length'), 'utf8')).toBe('x')
  })
})

describe.skipIf(!hasCpio || !hasBusybox)('guest initramfs', () => {
  it('holds busybox with its applets, init and the static agent, and is cached by content', async () => {
    const cache = tempDir('page-budget-image-')
    const image = await buildInitramfs(cache)
    expect(await buildInitramfs(cache)).toBe(image)
    const dir = await unpack(gunzipSync(readFileSync(image)))
    expect(readFileSync(join(dir, 'init'), 'utf8')).toBe(readFileSync(INIT_SCRIPT, 'utf8'))
    expect(statSync(join(dir, 'init')).mode & 0o111).not.toBe(0)
    expect(readlinkSync(join(dir, 'bin/sh'))).toBe('/bin/busybox')
    expect(lstatSync(join(dir, 'sbin/mkswap')).isSymbolicLink()).toBe(true)
    for (const mount of ['proc', 'sys', 'tmp', 'tmpfs', 'tmpfs-noswap']) expect(statSync(join(dir, mount)).isDirectory()).toBe(true)
    const file = await execa('file', [join(dir, 'sbin/page-budget-agent')], { reject: false })
    if (file.exitCode === 0) expect(file.stdout).toMatch(/statically linked/)
  }, 120_000)
})
