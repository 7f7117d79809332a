import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { killStaleVms, processStart, recordVm } from '../../../src/target/qemu/stale.js'
import { tempDir } from '../../helpers.js'

/** A pid that certainly belongs to no process any more. */
async function deadPid(): Promise<number> {
  const child = execa('true')
  await child
  return child.pid!
}

/** Stands in for QEMU: one process whose command line carries `marker`, as QEMU's carries its run directory. */
function standIn(marker: string) {
  return execa('node', ['-e', 'setTimeout(() => {}, 60_000)', marker], { reject: false, stdio: 'ignore' })
}

describe('stale VMs from crashed runs', () => {
  it('kills a QEMU whose owner died, and only if its command line names the VM', async () => {
    const vms = tempDir('page-budget-vms-')
    const runDir = tempDir('page-budget-vm-')
    const orphan = standIn(runDir)
    const stranger = standIn('stranger')
    mkdirSync(join(vms, '1-orphan'))
    mkdirSync(join(vms, '2-recycled'))
    mkdirSync(join(vms, '3-alive'))
    await recordVm(join(vms, '1-orphan'), { qemuPid: orphan.pid!, ownerPid: await deadPid(), ownerStart: undefined, runDir })
    // The pid is alive but is not that QEMU any more: left alone.
    await recordVm(join(vms, '2-recycled'), { qemuPid: stranger.pid!, ownerPid: await deadPid(), ownerStart: undefined, runDir: '/nonexistent' })
    await recordVm(join(vms, '3-alive'), { qemuPid: stranger.pid!, ownerPid: process.pid, ownerStart: await processStart('self'), runDir })

    expect(await killStaleVms(vms)).toEqual([orphan.pid])
    expect((await orphan).signal).toBe('SIGKILL')
    expect(existsSync(runDir)).toBe(false)
    expect(existsSync(join(vms, '1-orphan', 'owner.json'))).toBe(false)
    expect(existsSync(join(vms, '3-alive', 'owner.json'))).toBe(true)
    stranger.kill('SIGKILL')
  })

  it('takes a recycled owner pid (other start time) for a dead owner', async () => {
    const vms = tempDir('page-budget-vms-')
    const runDir = tempDir('page-budget-vm-')
    const orphan = standIn(runDir)
    mkdirSync(join(vms, '1-vm'))
    await recordVm(join(vms, '1-vm'), { qemuPid: orphan.pid!, ownerPid: process.pid, ownerStart: 'not-my-start', runDir })
    expect(await killStaleVms(vms)).toEqual([orphan.pid])
    await orphan
  })

  it('keeps the console logs of the last few finished VMs', async () => {
    const vms = tempDir('page-budget-vms-')
    for (let i = 10; i < 18; i++) {
      mkdirSync(join(vms, `${i}-done`))
      writeFileSync(join(vms, `${i}-done`, 'console.log'), 'log')
    }
    await killStaleVms(vms)
    expect([10, 12, 13, 14, 15, 17].map((i) => existsSync(join(vms, `${i}-done`)))).toEqual([false, false, true, true, true, true])
  })
})
