import { access, constants } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { execa } from 'execa'
import { KernelBuildError } from '../errors.js'

/** Commands the build runs, each with the Debian package that brings it. */
const COMMANDS: Readonly<Record<string, string>> = {
  gcc: 'gcc', make: 'make', flex: 'flex', bison: 'bison', bc: 'bc', cpio: 'cpio',
  xz: 'xz-utils', tar: 'tar', 'dpkg-deb': 'dpkg', 'apt-get': 'apt',
}

/**
 * Headers the build compiles against, checked through the compiler so any include path counts.
 * objtool needs libelf (UNWINDER_ORC). OpenSSL is only compiled against once the fragment turns
 * on module signing or a trusted keyring; it is required anyway so such a change fails here,
 * up front, rather than minutes into make.
 */
const HEADERS: Readonly<Record<string, string>> = { 'gelf.h': 'libelf-dev', 'openssl/ssl.h': 'libssl-dev' }

const BUILD_TOOLS = [
  ...Object.entries(COMMANDS).map(([name, debianPackage]) => ({ kind: 'command' as const, name, debianPackage })),
  ...Object.entries(HEADERS).map(([name, debianPackage]) => ({ kind: 'header' as const, name, debianPackage })),
]

/** The Debian packages to install for a kernel build, once each. */
export function buildPackages(): string[] {
  return [...new Set(BUILD_TOOLS.map((tool) => tool.debianPackage))]
}

export interface ToolProbe {
  hasCommand(name: string): Promise<boolean>
  hasHeader(name: string): Promise<boolean>
}

/** Fails with every missing tool at once, and the one apt-get line that installs them all. */
export async function checkBuildTools(probe: ToolProbe = systemProbe): Promise<void> {
  const found = await Promise.all(
    BUILD_TOOLS.map((tool) => (tool.kind === 'command' ? probe.hasCommand(tool.name) : probe.hasHeader(tool.name))),
  )
  const missing = BUILD_TOOLS.filter((_, index) => !found[index])
  if (missing.length === 0) return
  const packages = [...new Set(missing.map((tool) => tool.debianPackage))]
  const names = missing.map((tool) => `${tool.name} (${tool.debianPackage})`).join(', ')
  throw new KernelBuildError('missing-tools', `building the test kernel needs ${names}`, {
    hint: `apt-get install -y ${packages.join(' ')}   (or run: node scripts/setup.mjs)`,
  })
}

const systemProbe: ToolProbe = {
  async hasCommand(name) {
    const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean)
    const hits = await Promise.all(
      dirs.map((dir) => access(join(dir, name), constants.X_OK).then(() => true, () => false)),
    )
    return hits.includes(true)
  },
  async hasHeader(name) {
    const result = await execa('gcc', ['-E', '-x', 'c', '-o', '/dev/null', '-'], {
      input: `#include <${name}>\n`,
      reject: false,
    })
    return !result.failed
  },
}
