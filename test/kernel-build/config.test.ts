import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { droppedOptions, FRAGMENT_PATH, fragmentHash, parseConfig } from '../../src/kernel-build/config.js'

const fragment = `# comment
CONFIG_PAGE_OWNER=y
CONFIG_VIRTIO_PCI=y
CONFIG_ZRAM_DEF_COMP="lzo-rle"
# CONFIG_MODULES is not set
`

describe('droppedOptions', () => {
  it('is empty when olddefconfig kept every request', () => {
    const config = `CONFIG_PAGE_OWNER=y\nCONFIG_VIRTIO_PCI=y\nCONFIG_ZRAM_DEF_COMP="lzo-rle"\n# CONFIG_MODULES is not set\nCONFIG_OTHER=y\n`
    expect(droppedOptions(fragment, config)).toEqual([])
  })

  it('names options olddefconfig turned off or left out, and changed values', () => {
    const config = `CONFIG_PAGE_OWNER=y\n# CONFIG_VIRTIO_PCI is not set\nCONFIG_ZRAM_DEF_COMP="lzo"\nCONFIG_MODULES=y\n`
    expect(droppedOptions(fragment, config)).toEqual([
      'CONFIG_VIRTIO_PCI=y (got not set)',
      'CONFIG_ZRAM_DEF_COMP="lzo-rle" (got "lzo")',
      'CONFIG_MODULES=n (got y)',
    ])
    expect(droppedOptions(fragment, 'CONFIG_VIRTIO_PCI=y\n')).toContain('CONFIG_PAGE_OWNER=y (got not set)')
  })
})

describe('the shipped fragment', () => {
  const options = parseConfig(readFileSync(FRAGMENT_PATH, 'utf8'))

  it('asks for page_owner and everything the QEMU target relies on', () => {
    for (const name of ['PAGE_OWNER', 'DEBUG_FS', 'KALLSYMS_ALL', 'ZRAM', 'TMPFS', 'SWAP', 'VIRTIO_PCI', 'VIRTIO_MENU', 'VIRTIO_CONSOLE', 'ACPI', 'BLK_DEV_INITRD']) {
      expect(options.get(`CONFIG_${name}`), name).toBe('y')
    }
  })

  it('has a stable short hash for the cache key', () => {
    expect(fragmentHash()).toMatch(/^[0-9a-f]{12}$/)
    expect(fragmentHash('a')).not.toBe(fragmentHash('b'))
  })
})
