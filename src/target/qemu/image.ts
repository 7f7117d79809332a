import { createHash } from 'node:crypto'
import { access, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { execa } from 'execa'
import { VmError } from '../../errors.js'
import { writeFileAtomic } from '../../io/atomic.js'
import { cpioArchive, type CpioEntry } from './cpio.js'

/** guest/ ships with the package; src/target/qemu and dist/target/qemu are both three levels down. */
export const AGENT_SOURCE = fileURLToPath(new URL('../../../guest/agent.c', import.meta.url))
export const INIT_SCRIPT = fileURLToPath(new URL('../../../guest/init', import.meta.url))
const BUSYBOX = '/bin/busybox'

/** Where init finds the agent in the guest. */
const AGENT_IN_GUEST = 'sbin/page-budget-agent'

/** Bump when the archive's layout changes without any input changing. */
const LAYOUT = '1'

/**
 * The guest's initramfs (busybox, guest/init, the agent), built on first use and cached by a
 * hash of its inputs: a changed agent.c or a busybox upgrade makes a new image, nothing else does.
 */
export async function buildInitramfs(cacheDir: string): Promise<string> {
  const [agentSource, init, busybox] = await Promise.all([readFile(AGENT_SOURCE), readFile(INIT_SCRIPT), readBusybox()])
  const key = createHash('sha256').update(LAYOUT).update(agentSource).update(init).update(busybox).digest('hex').slice(0, 16)
  const image = join(cacheDir, 'initramfs', `${key}.cpio.gz`)
  if (await access(image).then(() => true, () => false)) return image

  const work = await mkdtemp(join(tmpdir(), 'page-budget-agent-'))
  try {
    const agent = join(work, 'agent')
    await compileAgent(agent)
    const entries: CpioEntry[] = [
      ...['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'etc', 'root', 'proc', 'sys', 'tmp', 'tmpfs', 'tmpfs-noswap'].map(
        (path): CpioEntry => ({ kind: 'dir', path }),
      ),
      // devtmpfs is mounted over /dev by init; the kernel needs /dev/console before that, for init's stdio.
      { kind: 'dir', path: 'dev' },
      { kind: 'char', path: 'dev/console', major: 5, minor: 1 },
      { kind: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
      ...(await busyboxApplets()).map((path): CpioEntry => ({ kind: 'symlink', path, target: '/bin/busybox' })),
      { kind: 'file', path: 'init', data: init, mode: 0o755 },
      { kind: 'file', path: AGENT_IN_GUEST, data: await readFile(agent), mode: 0o755 },
    ]
    await writeFileAtomic(image, gzipSync(cpioArchive(entries)))
    return image
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/** The agent as a static binary: it runs in an initramfs with no libc, and on the host for tests. */
export async function compileAgent(output: string): Promise<void> {
  const result = await execa('gcc', ['-static', '-O2', '-Wall', '-o', output, AGENT_SOURCE], { reject: false, stdin: 'ignore' })
  if (result.failed) {
    const missing = 'code' in result && result.code === 'ENOENT'
    throw new VmError(missing ? 'building the guest agent needs gcc' : `gcc could not build the guest agent:\n${result.stderr}`, {
      hint: missing || /cannot find -lc/.test(result.stderr)
        ? 'apt-get install -y gcc libc6-dev   (a static libc, libc.a, is needed)'
        : `the compiler output above names the problem in ${AGENT_SOURCE}`,
      cause: result,
    })
  }
}

/** Applet paths (`bin/ls`, `sbin/mkswap`, ...) to link to busybox, minus what the image itself provides. */
async function busyboxApplets(): Promise<string[]> {
  const { stdout } = await execa(BUSYBOX, ['--list-full'], { stdin: 'ignore' })
  return stdout.split('\n').map((line) => line.trim()).filter((path) => path !== '' && path !== 'init' && path !== AGENT_IN_GUEST && path !== 'bin/busybox')
}

/** /bin/busybox, checked to be the static build: a dynamic one would find no libc in the guest. */
async function readBusybox(): Promise<Buffer> {
  const hint = 'apt-get install -y busybox-static   (it replaces the dynamic busybox package)'
  const bytes = await readFile(BUSYBOX).catch((error: unknown) => {
    throw new VmError(`the QEMU guest image needs ${BUSYBOX}, which is missing`, { hint, cause: error })
  })
  if (hasInterpreter(bytes)) throw new VmError(`${BUSYBOX} is dynamically linked; the guest image needs a static busybox`, { hint })
  return bytes
}

/** Whether a 64-bit ELF file names a dynamic loader (a PT_INTERP program header). */
function hasInterpreter(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46) return false
  const phoff = Number(elf.readBigUInt64LE(0x20))
  const entrySize = elf.readUInt16LE(0x36)
  const count = elf.readUInt16LE(0x38)
  for (let index = 0; index < count; index++) {
    const at = phoff + index * entrySize
    if (at + 4 <= elf.length && elf.readUInt32LE(at) === 3) return true
  }
  return false
}
