import { chmodSync, copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { CAPTURE, tempDir } from '../helpers.js'
import { atMost, ddTest, reportFiles, reportOf } from '../report/fixtures.js'

/** The built CLI (npm test and test:unit build it first), run as a real process. */
const BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url))
const at = (name: string) => join(CAPTURE, name)
const STACKS = at('after.show_stacks_handles')

const dir = tempDir('page-budget-bad-input-')
function file(name: string, data: string | Uint8Array): string {
  const path = join(dir, name)
  writeFileSync(path, data)
  return path
}

const gzip = gzipSync(readFileSync(at('after.show_handles')))
const garbled = Buffer.from(gzip)
garbled.fill(0xff, 10, 30) // the deflate stream's first bytes, past the 10-byte header

const fifo = join(dir, 'fifo')
execFileSync('mkfifo', [fifo])
const unreadable = file('unreadable.show_handles', readFileSync(at('after.show_handles')))
chmodSync(unreadable, 0o600)
chmodSync(dir, 0o755) // nobody gets as far as the file, and is refused there
const loop = join(dir, 'loop')
symlinkSync(loop, loop)
const { report } = reportFiles({ report: reportOf([ddTest('dd', [atMost(258, 256, 5)])]) })

/** A replay directory like the capture, with one file replaced. */
function replayWith(name: string, data: string | Uint8Array): string {
  const replay = join(dir, `replay-${name}`)
  mkdirSync(replay)
  for (const recorded of ['before.show_handles', 'after.show_handles', 'after.show_stacks_handles', 'boot_id', 'count_threshold', 'uname']) {
    copyFileSync(at(recorded), join(replay, recorded))
  }
  writeFileSync(join(replay, name), data)
  return replay
}

/**
 * Each bad input, and what the message must say. The unreadable file is read as nobody when
 * the tests run as root (root reads anything).
 */
const CASES: Array<{ input: string; argv: string[]; says: RegExp; asNobody?: boolean }> = [
  { input: 'a directory', argv: ['top', dir], says: /is a directory, not a file\n {2}hint: pass one of the recorded files in it/ },
  { input: 'a FIFO nobody writes to', argv: ['top', fifo], says: /fifo is a FIFO, not a file\n {2}hint: .*save it to a file first/ },
  { input: 'an endless device', argv: ['top', '/dev/zero'], says: /\/dev\/zero is a character device, not a file/ },
  { input: 'an unreadable file', argv: ['top', unreadable], says: /permission denied reading .*unreadable\.show_handles\n {2}hint: /, asNobody: true },
  { input: 'a missing file', argv: ['top', join(dir, 'nope')], says: /nope does not exist\n {2}hint: check the path/ },
  { input: 'a symlink loop', argv: ['top', loop], says: /cannot read .*loop: ELOOP/ },
  { input: 'a truncated gzip', argv: ['top', file('cut.gz', gzip.subarray(0, 40))], says: /cut\.gz:0: not valid gzip data \(unexpected end of file\)/ },
  { input: 'a corrupt gzip', argv: ['top', file('garbled.gz', garbled)], says: /garbled\.gz:0: not valid gzip data \(invalid / },
  { input: 'a binary file', argv: ['top', file('binary', Buffer.concat([Buffer.from('handle: 1\n'), Buffer.alloc(100)]))], says: /binary: binary data, not page_owner text \(a NUL byte at byte 10\)/ },
  { input: 'gzipped zeros (a bomb)', argv: ['top', file('zeros.gz', gzipSync(Buffer.alloc(16 << 20)))], says: /zeros\.gz: binary data, not page_owner text/ },
  { input: 'bytes that are not UTF-8', argv: ['top', file('latin', Buffer.alloc(4096, 0xe9))], says: /latin: binary data, not page_owner text \(invalid UTF-8/ },
  { input: 'an endless line', argv: ['top', file('one-line', 'x'.repeat(3 << 20))], says: /one-line:1: line longer than 1048576 characters/ },
  { input: 'a file of another kind', argv: ['top', STACKS], says: /not a show_handles, show_stacks, page_owner or allocinfo file \(looks like show_stacks_handles\)/ },
  { input: 'a handle no stacks file knows (top)', argv: ['top', file('new.show_handles', 'handle: 999\nnr_base_pages: 2\n\n'), '--stacks', STACKS], says: /no stack for handle 999 in .*after\.show_stacks_handles, read just now\n {2}hint: read show_stacks_handles after show_handles/ },
  { input: 'a handle no stacks file knows (diff)', argv: ['diff', at('before.show_handles'), file('later.show_handles', 'handle: 999\nnr_base_pages: 2\n\n'), '--stacks', STACKS], says: /no stack for handle 999 in .*after\.show_stacks_handles/ },
  { input: 'a FIFO as AFTER', argv: ['diff', at('before.show_handles'), fifo, '--stacks', STACKS], says: /fifo is a FIFO, not a file/ },
  { input: 'a directory as --stacks', argv: ['diff', at('before.show_handles'), at('after.show_handles'), '--stacks', dir], says: /is a directory, not a file/ },
  { input: 'a directory as the report', argv: ['check', dir], says: /is a directory, not a file/ },
  { input: 'a FIFO as the baseline', argv: ['check', report!, '--baseline', fifo], says: /fifo is a FIFO, not a file/ },
  { input: 'an endless device to merge', argv: ['merge', '/dev/zero', '--output', join(dir, 'merged.json')], says: /\/dev\/zero is a character device, not a file/ },
  { input: 'a file as the replay directory', argv: ['watch', '--replay', at('after.show_handles'), '--samples', '1'], says: /after\.show_handles is a file, not a directory/ },
  { input: 'a binary sample in a replay', argv: ['watch', '--replay', replayWith('after.show_handles', Buffer.alloc(64)), '--steps', 'before,after'], says: /after\.show_handles: binary data, not page_owner text/ },
  { input: 'a file as the recording directory', argv: ['record', at('after.show_handles'), '--replay', CAPTURE, '--steps', 'before,after'], says: /after\.show_handles is a file, not a directory/ },
]

describe('page-budget on bad input', () => {
  it.each(CASES)('$input: exit 1, one paragraph with the hint, no stack trace', async ({ argv, says, asNobody }) => {
    const nobody = asNobody && process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}
    const result = await execa(process.execPath, [BIN, ...argv], { reject: false, timeout: 20_000, ...nobody })
    expect(result.timedOut).toBe(false)
    expect(result.stderr).toMatch(says)
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(new RegExp(`^page-budget ${argv[0]}: `))
    expect(result.stderr).toMatch(/\n {2}hint: \S/)
    expect(result.stderr.trim()).not.toMatch(/\n\s*\n/)
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })

  it('still exits 2 with the usage for bad arguments', async () => {
    const result = await execa(process.execPath, [BIN, 'top'], { reject: false })
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toMatch(/^page-budget top: top needs one FILE\n\nusage:\n/)
  })
})
