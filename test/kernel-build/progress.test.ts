import { describe, expect, it } from 'vitest'
import { BuildProgress, formatStatus } from '../../src/kernel-build/progress.js'

describe('BuildProgress', () => {
  it("follows a build's phases from its lines, counting the files compiled", () => {
    const progress = new BuildProgress()
    expect(progress.status.phase).toBe('source')
    expect(progress.line('$ make O=/c/build/x tinyconfig')).toBe(true)
    expect(progress.line('  HOSTCC  scripts/kconfig/conf.o')).toBe(false)
    expect(progress.line('$ make O=/c/build/x olddefconfig')).toBe(false)
    expect(progress.status).toMatchObject({ phase: 'configure', compiled: 0 })
    expect(progress.line('$ make O=/c/build/x -j2 bzImage')).toBe(true)
    expect(progress.line('  CC      init/main.o')).toBe(false)
    expect(progress.line('  CC      kernel/fork.o')).toBe(false)
    expect(progress.line('  AS      arch/x86/entry/entry_64.o')).toBe(false)
    expect(progress.status).toMatchObject({ phase: 'compile', compiled: 3 })
    expect(progress.line('  LD      vmlinux.o')).toBe(true)
    expect(progress.line('  CC      .vmlinux.export.o')).toBe(false)
    expect(progress.status).toMatchObject({ phase: 'link', compiled: 4 })
    expect(progress.line('page-budget: kernel 7.2.13 ready at /c/kernels/k/bzImage (300 s)')).toBe(true)
    expect(progress.status.phase).toBe('done')
  })

  it('says it in words', () => {
    expect(formatStatus({ phase: 'compile', compiled: 1234, seconds: 192.5 })).toBe('compiling, 1234 files compiled, 3m12s')
    expect(formatStatus({ phase: 'configure', compiled: 0, seconds: 7 })).toBe('configuring, 0 files compiled, 7s')
  })
})
