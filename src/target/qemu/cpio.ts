/**
 * A gzip-ready newc ("070701") cpio archive, the format the kernel unpacks into its initramfs.
 * Written here rather than by the `cpio` tool so building the guest image needs no tool and no
 * root: device nodes such as /dev/console are just header fields.
 */
export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Uint8Array; mode?: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'char'; path: string; major: number; minor: number; mode?: number }

const S_IFDIR = 0o040000
const S_IFREG = 0o100000
const S_IFLNK = 0o120000
const S_IFCHR = 0o020000

export function cpioArchive(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = []
  let offset = 0
  const push = (bytes: Buffer): void => {
    parts.push(bytes)
    offset += bytes.length
  }
  const pad = (): void => {
    if (offset % 4 !== 0) push(Buffer.alloc(4 - (offset % 4)))
  }
  const record = (ino: number, path: string, mode: number, data: Uint8Array, rdev: [number, number] = [0, 0]): void => {
    const name = Buffer.from(`${path}\0`)
    // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check.
    // mtime 0 keeps the archive (and its cache key) independent of when it was built.
    const fields = [ino, mode, 0, 0, mode & S_IFDIR ? 2 : 1, 0, data.length, 0, 0, rdev[0], rdev[1], name.length, 0]
    push(Buffer.from(`070701${fields.map((field) => field.toString(16).padStart(8, '0')).join('')}`, 'ascii'))
    push(name)
    pad()
    push(Buffer.from(data.buffer, data.byteOffset, data.length))
    pad()
  }
  entries.forEach((entry, index) => {
    const ino = index + 1
    switch (entry.kind) {
      case 'dir':
        return record(ino, entry.path, S_IFDIR | (entry.mode ?? 0o755), new Uint8Array())
      case 'file':
        return record(ino, entry.path, S_IFREG | (entry.mode ?? 0o644), entry.data)
      case 'symlink':
        return record(ino, entry.path, S_IFLNK | 0o777, Buffer.from(entry.target))
      case 'char':
        return record(ino, entry.path, S_IFCHR | (entry.mode ?? 0o600), new Uint8Array(), [entry.major, entry.minor])
    }
  })
  record(0, 'TRAILER!!!', 0, new Uint8Array())
  return Buffer.concat(parts)
}
