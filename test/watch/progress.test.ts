import { describe, expect, it } from 'vitest'
import type { Target } from '../../src/target/types.js'
import { withReadProgress } from '../../src/watch/progress.js'

const target: Target = {
  description: 'fake',
  read: () => [new Uint8Array(1_000_000), new Uint8Array(1_000_000), new Uint8Array(1_000_000)],
  exists: async () => true,
  close: async () => {},
}

async function drain(source: ReturnType<Target['read']>): Promise<number> {
  let bytes = 0
  for await (const chunk of source) bytes += chunk.length
  return bytes
}

describe('withReadProgress', () => {
  it('reports a long read of the per-page file, then erases the line', async () => {
    let t = 0
    const writes: string[] = []
    const wrapped = withReadProgress(target, (text) => writes.push(text), () => (t += 500))
    expect(await drain(wrapped.read('page_owner'))).toBe(3_000_000)
    expect(writes[0]).toBe('\r\x1b[Kreading page_owner: 1.0 MB, 2.0 MB/s')
    expect(writes.at(-1)).toBe('\r\x1b[K')
  })
  it('stays quiet for show_handles, the cheap per-sample read', async () => {
    let t = 0
    const writes: string[] = []
    await drain(withReadProgress(target, (text) => writes.push(text), () => (t += 500)).read('show_handles'))
    expect(writes).toEqual([])
  })
})
