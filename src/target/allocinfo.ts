import { AllocInfoUnavailableError } from '../errors.js'
import { readText } from './read.js'
import type { Target } from './types.js'

/**
 * Whether the kernel counts allocations per call site (/proc/allocinfo): `available`; `off` when
 * built but not counting (vm.mem_profiling is 0, or `never` from boot); `not-built` without
 * CONFIG_MEM_ALLOC_PROFILING. With `off`, allocinfo still lists every site, but its numbers stand still.
 */
export type AllocInfoState = 'available' | 'off' | 'not-built'

export async function probeAllocInfo(target: Target): Promise<AllocInfoState> {
  const [file, sysctl] = await Promise.all([target.exists('allocinfo'), target.exists('mem_profiling')])
  if (!sysctl) return file ? 'available' : 'not-built' // a recording may hold allocinfo alone: it counted when read
  // `0` or `1` (a static key); booted with `never`, it reads 0 and allocinfo is gone.
  const value = (await readText(target, 'mem_profiling')).trim()
  return file && value === '1' ? 'available' : 'off'
}

/** The named error for a test that asks for call sites where the kernel cannot count them. */
export function allocInfoUnavailable(state: Exclude<AllocInfoState, 'available'>, where: string): AllocInfoUnavailableError {
  if (state === 'not-built') {
    return new AllocInfoUnavailableError(
      'not-built',
      `${where}: call sites need /proc/allocinfo, and this kernel was built without CONFIG_MEM_ALLOC_PROFILING`,
      'boot a kernel with CONFIG_MEM_ALLOC_PROFILING=y (the test kernel from `page-budget kernel build` has it), or budget pages by stack with frames',
    )
  }
  return new AllocInfoUnavailableError(
    'off',
    `${where}: /proc/allocinfo is not counting (vm.mem_profiling is not 1)`,
    'turn it on before the test: sysctl vm.mem_profiling=1 (or boot with sysctl.vm.mem_profiling=1; `never` on the command line cannot be undone without a reboot)',
  )
}
