import type { QemuOptions } from './qemu/vm.js'

/** Where the kernel is. Each kind maps to a Target implementation. */
export type TargetOptions =
  | { kind: 'local'; debugfs?: string }
  | { kind: 'command'; prefix: string[]; debugfs?: string; remoteShell?: boolean }
  | { kind: 'replay'; dir: string; step?: string }
  /** Boots the test kernel in QEMU (see QemuOptions for every field). */
  | QemuOptions
  /** A VM booted by another process (Vitest's globalSetup), reached through its socket. */
  | { kind: 'vm'; socketPath: string }
