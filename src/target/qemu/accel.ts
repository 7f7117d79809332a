import { access, constants, readFile } from 'node:fs/promises'
import { release } from 'node:os'
import { join } from 'node:path'
import { writeFileAtomic } from '../../io/atomic.js'

export type Accel = 'tcg' | 'kvm'

/**
 * How to boot: one fixed accelerator, or KVM first with TCG behind it. KVM is only worth trying
 * when /dev/kvm is usable, and it is not trusted until a boot proved it: nested KVM on CI
 * machines often hangs or dies with "emulation failure", so an unproven KVM gets a short boot
 * timeout. Whatever the attempt shows is recorded as this host's verdict.
 */
export type AccelPlan = { kind: 'fixed'; accel: Accel } | { kind: 'try-kvm'; proven: boolean }

interface Verdict {
  kvm: 'boots' | 'fails'
  reason: string
  checkedAt: string
}

export async function planAccel(wanted: 'auto' | Accel, cacheDir: string, qemuVersion: string): Promise<AccelPlan> {
  if (wanted !== 'auto') return { kind: 'fixed', accel: wanted }
  if (!(await kvmUsable())) return { kind: 'fixed', accel: 'tcg' }
  const verdict = await readVerdict(cacheDir, qemuVersion)
  if (verdict?.kvm === 'fails') return { kind: 'fixed', accel: 'tcg' }
  return { kind: 'try-kvm', proven: verdict?.kvm === 'boots' }
}

/** Keyed by host kernel and QEMU version: either changing is a reason to ask again. */
function verdictPath(cacheDir: string, qemuVersion: string): string {
  return join(cacheDir, 'qemu', `kvm-verdict-${release()}-qemu-${qemuVersion}.json`)
}

async function readVerdict(cacheDir: string, qemuVersion: string): Promise<Verdict | undefined> {
  const text = await readFile(verdictPath(cacheDir, qemuVersion), 'utf8').catch(() => undefined)
  return text === undefined ? undefined : (JSON.parse(text) as Verdict)
}

export function recordVerdict(cacheDir: string, qemuVersion: string, kvm: Verdict['kvm'], reason: string): Promise<void> {
  const verdict: Verdict = { kvm, reason, checkedAt: new Date().toISOString() }
  return writeFileAtomic(verdictPath(cacheDir, qemuVersion), `${JSON.stringify(verdict, null, 2)}\n`)
}

async function kvmUsable(): Promise<boolean> {
  return access('/dev/kvm', constants.R_OK | constants.W_OK).then(() => true, () => false)
}
