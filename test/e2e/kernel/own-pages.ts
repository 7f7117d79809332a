import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'
import { test } from '../../../src/vitest/index.js'

/**
 * A test that writes `mib` MiB to tmpfs and expects exactly its own pages. Two files call it
 * with different sizes; Vitest runs them in separate workers at the same time against the one
 * VM. Each workload sleeps inside its measured section, so without the cross-worker lock the
 * sections would overlap and each delta would hold the other's pages.
 *
 * Each also leaves its workload's span on the guest's clock (uptime) in a folder per boot (one
 * VM per run); whichever runs second finds the other's span and checks it ended first.
 */
export function ownPagesTest(name: string, mib: number): void {
  test(`${name} sees only its own ${mib} MiB`, async ({ pageOwner }) => {
    const uptime = async () => Number.parseFloat((await pageOwner.exec('cat /proc/uptime')).stdout)
    const began = await uptime()
    await pageOwner.exec(`dd if=/dev/zero of=/tmpfs/${name} bs=1M count=${mib} status=none; sleep 2`)
    await expect(pageOwner).toAllocateBetween(`${mib} MiB`, `${mib} MiB`, { frames: ['shmem_*'], tolerance: '1%' })
    await pageOwner.exec(`rm /tmpfs/${name}`)
    // The page-cache pages, not the slab pages of its xarray: slab keeps those cached after rm.
    await expect(pageOwner).toFreeAll({ frames: ['shmem_*', '!kmem_cache_*'] })

    const spans = join(tmpdir(), `page-budget-workers-${pageOwner.session.capabilities.bootId}`)
    mkdirSync(spans, { recursive: true })
    const others = readdirSync(spans)
    for (const other of others) {
      const span = JSON.parse(readFileSync(join(spans, other), 'utf8')) as { pid: number; began: number; ended: number }
      expect(span.pid, 'the two files ran in one worker').not.toBe(process.pid)
      expect(span.ended, `${other} overlapped this section`).toBeLessThanOrEqual(began)
    }
    // The first to finish leaves its span; the second, having checked it, leaves nothing behind.
    if (others.length === 0) writeFileSync(join(spans, `${name}.json`), JSON.stringify({ pid: process.pid, began, ended: await uptime() }))
    else rmSync(spans, { recursive: true, force: true })
  })
}
