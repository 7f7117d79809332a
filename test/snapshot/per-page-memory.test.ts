import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { countPagesBy } from '../../src/snapshot/owners.js'
import { pageOwnerText } from '../format/helpers.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function heap(): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

describe('per-page reads keep no state between them', () => {
  it('leaves the heap flat over 1,000 reads (every cache belongs to its read)', async () => {
    const text = Buffer.from(pageOwnerText().slice(0, 200_000).replace(/\n\n[^\n][\s\S]*$/, '\n\n'))
    for (let i = 0; i < 20; i++) await countPagesBy([text], 'page_owner', 'stack') // warm up the JIT
    const before = heap()
    for (let i = 0; i < 1000; i++) await countPagesBy([text], 'page_owner', i % 2 ? 'stack' : 'comm')
    expect(heap() - before).toBeLessThan(2 * 2 ** 20)
  }, 120_000)
})
