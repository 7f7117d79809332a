import { mkdirSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fragmentsFor, requestedOptions, treeLine } from '../../src/kernel-build/config.js'
import { droppedOptions, explainDropped, parseConfig } from '../../src/kernel-build/kconfig.js'
import { optionLine, recipeBeforeFiles, RECIPE_PATH, requestedFragments, requestKey } from '../../src/kernel-build/request.js'
import { KernelBuildError } from '../../src/errors.js'
import { tempDir } from '../helpers.js'

const requested = parseConfig(`# comment
CONFIG_PAGE_OWNER=y
CONFIG_VIRTIO_PCI=y
CONFIG_ZRAM_DEF_COMP="lzo-rle"
# CONFIG_MODULES is not set
`)

describe('droppedOptions', () => {
  it('is empty when olddefconfig kept every request', () => {
    const config = `CONFIG_PAGE_OWNER=y\nCONFIG_VIRTIO_PCI=y\nCONFIG_ZRAM_DEF_COMP="lzo-rle"\n# CONFIG_MODULES is not set\nCONFIG_OTHER=y\n`
    expect(droppedOptions(requested, config)).toEqual([])
  })

  it('names options olddefconfig turned off or left out, and changed values', () => {
    const config = `CONFIG_PAGE_OWNER=y\n# CONFIG_VIRTIO_PCI is not set\nCONFIG_ZRAM_DEF_COMP="lzo"\nCONFIG_MODULES=y\n`
    expect(droppedOptions(requested, config)).toEqual([
      { name: 'CONFIG_VIRTIO_PCI', wanted: 'y', got: 'n' },
      { name: 'CONFIG_ZRAM_DEF_COMP', wanted: '"lzo-rle"', got: '"lzo"' },
      { name: 'CONFIG_MODULES', wanted: 'n', got: 'y' },
    ])
  })
})

describe('explainDropped', () => {
  it('names the dependency that dropped an option, from depends on and enclosing ifs', async () => {
    const tree = tempDir()
    mkdirSync(join(tree, 'fs/xfs'), { recursive: true })
    writeFileSync(join(tree, 'Kconfig'), 'source "fs/xfs/Kconfig"\nconfig BLOCK\n\tbool "block"\n')
    writeFileSync(join(tree, 'fs/xfs/Kconfig'), [
      'config XFS_FS', '\ttristate "XFS"', '\tdepends on BLOCK', '',
      'config XFS_QUOTA', '\tbool "XFS quota"', '\tdepends on XFS_FS', '\tselect QUOTACTL', '',
      'if XFS_FS', 'config XFS_RT', '\tbool "realtime"', 'endif', '',
      'config XFS_ONLINE_SCRUB', '\tbool "scrub"', '\tdepends on XFS_FS && (BLOCK || !X86)',
    ].join('\n'))
    const config = 'CONFIG_BLOCK=y\n# CONFIG_XFS_FS is not set\n'
    const dropped = droppedOptions(parseConfig('CONFIG_XFS_QUOTA=y\nCONFIG_XFS_RT=y\nCONFIG_XFS_ONLINE_SCRUB=y\nCONFIG_NOT_IN_TREE=y\n'), config)
    expect((await explainDropped(tree, dropped, config)).map((option) => option.text)).toEqual([
      'CONFIG_XFS_QUOTA=y (got not set): depends on XFS_FS; off here: CONFIG_XFS_FS',
      'CONFIG_XFS_RT=y (got not set): depends on XFS_FS; off here: CONFIG_XFS_FS',
      'CONFIG_XFS_ONLINE_SCRUB=y (got not set): depends on XFS_FS && (BLOCK || !X86); off here: CONFIG_XFS_FS, CONFIG_X86',
      'CONFIG_NOT_IN_TREE=y (got not set): no Kconfig entry defines it in this tree',
    ])
  })
})

describe('a build request', () => {
  it('merges the recipe, then the user\'s fragments, then --enable/--disable, a later line winning', () => {
    const fragment = join(tempDir(), 'mine.config')
    writeFileSync(fragment, 'CONFIG_PAGE_OWNER=y\nCONFIG_EXT4_FS=y\n')
    const fragments = requestedFragments({ configs: [fragment], enable: ['IKCONFIG', 'CONFIG_EXT4_FS=m'], disable: ['CONFIG_MAGIC_SYSRQ'] })
    expect(fragments.map((f) => f.name)).toEqual([RECIPE_PATH, ...recipeBeforeFiles().map((f) => f.path), fragment, '--enable/--disable'])
    const options = requestedOptions(fragments)
    expect([options.get('CONFIG_IKCONFIG'), options.get('CONFIG_EXT4_FS'), options.get('CONFIG_MAGIC_SYSRQ'), options.get('CONFIG_DEBUG_FS')]).toEqual(['y', 'm', 'n', 'y'])
  })

  it('merges a before-X.Y recipe file only on a tree older than X.Y, read off its Makefile', async () => {
    expect(recipeBeforeFiles().map((f) => f.before)).toContainEqual([6, 12])
    const fragments = requestedFragments({ enable: ['IKCONFIG'] })
    const names = (line: [number, number] | undefined) => fragmentsFor(fragments, line).map((f) => (f.recipe ? basename(f.name) : f.name))
    expect(names([6, 1])).toEqual(['page-budget.config', 'before-6.12.config', '--enable/--disable'])
    expect(names([6, 12])).toEqual(['page-budget.config', '--enable/--disable'])
    expect(names([7, 0])).toEqual(['page-budget.config', '--enable/--disable'])
    // What 6.1 needs for zram (compression through the crypto API) and 9p (which depends on INET there).
    const old = requestedOptions(fragmentsFor(fragments, [6, 1]))
    expect([old.get('CONFIG_CRYPTO_LZO'), old.get('CONFIG_INET')]).toEqual(['y', 'y'])
    // The recipe's own line keeps INET off on newer trees.
    expect(requestedOptions(fragmentsFor(fragments, [6, 12])).get('CONFIG_INET')).toBe('n')

    const tree = tempDir()
    writeFileSync(join(tree, 'Makefile'), '# SPDX-License-Identifier: GPL-2.0\nVERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 192\n')
    expect(await treeLine(tree)).toEqual([6, 1])
    // No line known (a broken commit's Makefile): no before-file; make names what is wrong.
    expect(await treeLine(tempDir())).toBeUndefined()
    expect(names(undefined)).toEqual(['page-budget.config', '--enable/--disable'])
  })

  it('names an option spelled wrongly, and a fragment it cannot read', () => {
    expect(optionLine('config_ikconfig', 'y')).toBe('CONFIG_IKCONFIG=y')
    expect(optionLine('CONFIG_X', 'n')).toBe('# CONFIG_X is not set')
    expect(() => optionLine('CONFIG X', 'y')).toThrow(KernelBuildError)
    expect(() => optionLine('CONFIG_X=y', 'n')).toThrow(/--disable CONFIG_FOO/)
    expect(() => requestedFragments({ configs: ['/nonexistent.config'] })).toThrow(/cannot read the config fragment \/nonexistent.config/)
  })

  it('keys the cache on the source, every fragment and the compiler', () => {
    const fragments = requestedFragments({})
    const key = requestKey('debian:latest', fragments, 'gcc 14')
    expect(key).toMatch(/^[0-9a-f]{16}$/)
    expect(requestKey('debian:latest', fragments, 'gcc 14')).toBe(key)
    expect(requestKey('debian:6.12', fragments, 'gcc 14')).not.toBe(key)
    expect(requestKey('debian:latest', fragments, 'gcc 15')).not.toBe(key)
    expect(requestKey('debian:latest', requestedFragments({ enable: ['IKCONFIG'] }), 'gcc 14')).not.toBe(key)
  })
})

describe('the shipped recipe', () => {
  const options = requestedOptions(requestedFragments({}))

  it('asks for page_owner and everything the QEMU target relies on', () => {
    for (const name of ['PAGE_OWNER', 'DEBUG_FS', 'KALLSYMS_ALL', 'ZRAM', 'TMPFS', 'SWAP', 'VIRTIO_PCI', 'VIRTIO_MENU', 'VIRTIO_CONSOLE', 'ACPI', 'BLK_DEV_INITRD']) {
      expect(options.get(`CONFIG_${name}`), name).toBe('y')
    }
  })
})
