import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { beforeAll } from 'vitest'
import { expect, test } from 'page-budget/vitest'

// Anonymous memory comes from page faults: on this kernel do_anonymous_page is inlined into
// __handle_mm_fault, which allocates through folio_prealloc. Copy-on-write faults (do_wp_page)
// use the same allocator and are left out.
const anonFaults = { frames: ['folio_prealloc', '__handle_mm_fault', 'exc_page_fault', '!do_wp_page'] }

// Built on the host, against the host's libc: the guest runs it from the share, through the host root.
beforeAll(async () => {
  mkdirSync(join(import.meta.dirname, 'build'), { recursive: true })
  await execa('gcc', ['-O2', '-o', join(import.meta.dirname, 'build/hog'), join(import.meta.dirname, 'hog.c')])
})

test('a program holding 64 MiB of anonymous memory is budgeted on the fault path', async ({ pageOwner }) => {
  // In the background, so the test measures while the pages are held; `ready` once all are touched.
  const { stdout } = await pageOwner.exec('./build/hog 64 > /tmp/hog.out & echo $!; until grep -q ready /tmp/hog.out; do kill -0 $! || exit 1; sleep 0.1; done', { cwd: import.meta.dirname })
  const pid = stdout.trim()
  try {
    await expect(pageOwner).toAllocateAtLeast('60 MiB', anonFaults)
    await expect(pageOwner).not.toAllocateAtMost('16 MiB', anonFaults)
  } finally {
    await pageOwner.exec(`kill ${pid}; while kill -0 ${pid} 2>/dev/null; do sleep 0.1; done`)
  }
  await expect(pageOwner).toFreeAll({ ...anonFaults, tolerance: '1 MiB' })
})

test('host programs run in the guest as they are', async ({ pageOwner }) => {
  const { stdout } = await pageOwner.exec('python3 -c "import platform; print(platform.release())" 2>/dev/null || uname -r')
  expect(stdout.trim()).toBe((await pageOwner.exec('uname -r')).stdout.trim())
})
