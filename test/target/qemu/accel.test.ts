import { access, constants } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { planAccel, recordVerdict } from '../../../src/target/qemu/accel.js'
import { tempDir } from '../../helpers.js'

const kvmUsable = await access('/dev/kvm', constants.R_OK | constants.W_OK).then(() => true, () => false)

describe('choosing an accelerator', () => {
  it('uses what the caller names', async () => {
    expect(await planAccel('tcg', tempDir(), '7.2.22')).toEqual({ kind: 'fixed', accel: 'tcg' })
    expect(await planAccel('kvm', tempDir(), '7.2.22')).toEqual({ kind: 'fixed', accel: 'kvm' })
  })

  it.skipIf(!kvmUsable)('probes an unproven KVM, trusts a proven one, and skips one that failed here', async () => {
    const cache = tempDir()
    expect(await planAccel('auto', cache, '7.2.22')).toEqual({ kind: 'try-kvm', proven: false })
    await recordVerdict(cache, '7.2.22', 'boots', 'booted in 900 ms')
    expect(await planAccel('auto', cache, '7.2.22')).toEqual({ kind: 'try-kvm', proven: true })
    await recordVerdict(cache, '7.2.22', 'fails', 'emulation failure')
    expect(await planAccel('auto', cache, '7.2.22')).toEqual({ kind: 'fixed', accel: 'tcg' })
    // Another QEMU version has no verdict yet.
    expect(await planAccel('auto', cache, '8.2.0')).toEqual({ kind: 'try-kvm', proven: false })
  })

  it.skipIf(kvmUsable)('uses TCG without asking when /dev/kvm is not usable', async () => {
    expect(await planAccel('auto', tempDir(), '7.2.22')).toEqual({ kind: 'fixed', accel: 'tcg' })
  })
})
