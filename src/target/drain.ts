import { TargetError, UsageError } from '../errors.js'
import type { Target } from './types.js'

/**
 * Flushes the kernel's per-CPU LRU batches, which keep a reference to up to 31 pages per CPU
 * after their file is gone, so those pages show as freed: writing 1 to drop_caches runs
 * lru_add_drain_all() first. It also drops clean page cache: meant for a disposable test
 * kernel (the QEMU target), not a real host.
 */
export async function drainPageBatches(target: Target): Promise<void> {
  if (!target.exec) throw new UsageError(`${target.description} cannot run commands, so it cannot drain the kernel's page batches`)
  const result = await target.exec('echo 1 > /proc/sys/vm/drop_caches')
  if (result.exitCode !== 0) throw new TargetError(`draining the page batches failed: ${result.stderr.trim()}`)
}
