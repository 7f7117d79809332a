import { describe, expect, it } from 'vitest'
import { UsageError } from '../src/errors.js'
import { formatAmount, formatBytes, parseBudget, toleranceAllowance, type Budget } from '../src/amount.js'

describe('parseBudget', () => {
  it.each<[Budget, number]>([
    ['256 MiB', 256 * 2 ** 20],
    ['256MiB', 256 * 2 ** 20],
    ['300 MB', 300e6],
    ['4 KiB', 4096],
    ['1 kB', 1000],
    ['1.5 GiB', 1.5 * 2 ** 30],
    ['2 TiB', 2 * 2 ** 40],
    ['12 B', 12],
    ['12', 12],
    [8192, 8192],
    [{ bytes: 1e6 }, 1e6],
    [{ pages: 65536 }, 65536 * 4096],
    ['10 pages', 40960],
    ['1 page', 4096],
  ])('%j is %d bytes', (budget, bytes) => {
    const amount = parseBudget(budget, 4096)
    expect(amount.bytes).toBe(bytes)
    expect(amount.pages).toBe(bytes / 4096)
  })

  it('counts pages with the target page size', () => {
    expect(parseBudget('64 KiB', 16384).pages).toBe(4)
    expect(parseBudget({ pages: 4 }, 16384).bytes).toBe(65536)
  })

  it.each<unknown>(['256 mb', '4 KB', 'lots', '', '-1 MiB', 'MiB', NaN, -5, Infinity, { pages: 1, bytes: 2 }, { kb: 4 }, null, undefined, ['1 MiB']])(
    'rejects %j with a UsageError',
    (budget) => {
      expect(() => parseBudget(budget as Budget, 4096)).toThrow(UsageError)
    },
  )

  it('says which unit was meant and lists the accepted forms', () => {
    expect(() => parseBudget('4 KB', 4096)).toThrowErrorMatchingInlineSnapshot(`
      [UsageError: unknown memory unit 'KB' in "4 KB"
        hint: write KiB for 1024-based or kB for 1000-based; accepted: '256 MiB', '300 MB', '4 KiB', '12 pages', { pages: 65536 }, { bytes: 1048576 }, or a number of bytes (IEC KiB/MiB/GiB/TiB = 1024-based; SI kB/MB/GB/TB = 1000-based)]
    `)
    expect(() => parseBudget('lots', 4096)).toThrowErrorMatchingInlineSnapshot(`
      [UsageError: not a memory budget: "lots"
        hint: accepted: '256 MiB', '300 MB', '4 KiB', '12 pages', { pages: 65536 }, { bytes: 1048576 }, or a number of bytes (IEC KiB/MiB/GiB/TiB = 1024-based; SI kB/MB/GB/TB = 1000-based)]
    `)
  })
})

describe('toleranceAllowance', () => {
  const budget = parseBudget('100 MiB', 4096)
  it('takes percentages of the budget and amounts as they are', () => {
    expect(toleranceAllowance('5%', budget, 4096).bytes).toBe(5 * 2 ** 20)
    expect(toleranceAllowance('1 MiB', budget, 4096).pages).toBe(256)
    expect(toleranceAllowance(undefined, budget, 4096).pages).toBe(0)
  })
  it('rejects a malformed percentage', () => {
    expect(() => toleranceAllowance('x%' as `${number}%`, budget, 4096)).toThrow(UsageError)
  })
})

describe('formatting', () => {
  it('prints IEC sizes and pages', () => {
    expect(formatBytes(256 * 2 ** 20)).toBe('256 MiB')
    expect(formatBytes(-4096)).toBe('-4 KiB')
    expect(formatBytes(1536)).toBe('1.5 KiB')
    expect(formatBytes(12)).toBe('12 B')
    expect(formatAmount(65536, 4096)).toBe('65536 pages (256 MiB)')
    expect(formatAmount(1, 4096)).toBe('1 page (4 KiB)')
  })
})
