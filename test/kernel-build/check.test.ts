import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { UnsupportedKernelError } from '../../src/errors.js'
import { assertBootable, findKernelConfig, kernelImage } from '../../src/kernel-build/check.js'
import { tempDir } from '../helpers.js'

/** A build directory as `make O=DIR` leaves it: .config at the top, the image under arch/. */
function buildDir(config: string): string {
  const dir = tempDir()
  mkdirSync(join(dir, 'arch/x86/boot'), { recursive: true })
  writeFileSync(join(dir, 'arch/x86/boot/bzImage'), 'image')
  writeFileSync(join(dir, '.config'), config)
  return dir
}

describe('a kernel given as a bzImage or a build directory', () => {
  it("finds the image and the .config of a build directory, from either", () => {
    const dir = buildDir('CONFIG_64BIT=y\n')
    expect(kernelImage(dir)).toBe(join(dir, 'arch/x86/boot/bzImage'))
    expect(kernelImage(join(dir, 'arch/x86/boot/bzImage'))).toBe(join(dir, 'arch/x86/boot/bzImage'))
    expect(findKernelConfig(dir)).toBe(join(dir, '.config'))
    expect(findKernelConfig(join(dir, 'arch/x86/boot/bzImage'))).toBe(join(dir, '.config'))
    expect(findKernelConfig(join(tempDir(), 'bzImage'))).toBeUndefined()
  })

  it('is refused before booting when its .config cannot boot the test VM, naming each option', () => {
    const dir = buildDir('CONFIG_64BIT=y\nCONFIG_PRINTK=y\n')
    const error = (() => {
      try {
        assertBootable(dir)
      } catch (e) {
        return e as Error
      }
    })()
    expect(error).toBeInstanceOf(UnsupportedKernelError)
    expect(error!.message).toContain('CONFIG_VIRTIO_CONSOLE: no virtio console: the agent has no channel to the host')
    expect(error!.message).toContain('CONFIG_BLK_DEV_INITRD: no gzip initramfs support')
    // Without page_owner it still boots: the probe names not built / not enabled / no debugfs.
    expect(error!.message).not.toContain('CONFIG_PAGE_OWNER')
  })

  it('boots one that lacks only page_owner or a feature, and one whose .config is unknown', () => {
    const boots = 'PRINTK TTY SERIAL_8250 SERIAL_8250_CONSOLE BLK_DEV_INITRD RD_GZIP DEVTMPFS PROC_FS PROC_SYSCTL SYSFS BINFMT_ELF BINFMT_SCRIPT MULTIUSER FUTEX POSIX_TIMERS PCI VIRTIO VIRTIO_PCI VIRTIO_CONSOLE SHMEM TMPFS ACPI 64BIT'
    expect(() => assertBootable(buildDir(boots.split(' ').map((o) => `CONFIG_${o}=y`).join('\n')))).not.toThrow()
    expect(() => assertBootable(join(tempDir(), 'bzImage'))).not.toThrow()
  })
})
