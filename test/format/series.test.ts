import { describe, expect, it } from 'vitest'
import { Series } from '../../src/format/series.js'
import { formatSeriesFile, parseSeriesFile, type RecordMeta } from '../../src/format/recording.js'
import { ParseError } from '../../src/errors.js'

const samples = [
  new Map([[1, 10], [2, 5]]),
  new Map([[1, 10], [2, 9], [3, 4]]),
  new Map([[1, 10], [3, 1]]),
  new Map([[1, 10], [3, 1]]),
]

function build(): Series {
  const series = new Series()
  samples.forEach((counts, i) => series.push(i * 1000, counts))
  return series
}

const meta: RecordMeta = { target: 'test', bootId: 'b', kernel: '7.2.13', pageSize: 4096, path: 'show_handles', startedAt: '2025-01-01T00:00:00.000Z', intervalMs: 1000, stopped: 'samples' }

describe('Series', () => {
  it('keeps the first sample whole and only changes after it', () => {
    const series = build()
    expect(series.changesAt(0)).toEqual([1, 10, 2, 5])
    expect(series.changesAt(1)).toEqual([2, 4, 3, 4])
    expect(series.changesAt(2)).toEqual([3, -3, 2, -9])
    expect(series.changesAt(3)).toEqual([])
    expect(series.totals).toEqual([15, 23, 11, 11])
  })
  it('rebuilds every sample exactly, stacks at 0 omitted as the kernel does', () => {
    const series = build()
    samples.forEach((counts, i) => expect(series.countsAt(i)).toEqual(counts))
    expect(series.countsAt(2).has(2)).toBe(false)
  })
  it('gives each stack its values over time and its range', () => {
    const series = build()
    expect(series.valuesOf([2, 3])).toEqual(new Map([[2, [5, 9, 0, 0]], [3, [0, 4, 1, 1]]]))
    expect(series.ranges().sort((a, b) => a.key - b.key)).toEqual([
      { key: 1, first: 10, last: 10, min: 10, max: 10 },
      { key: 2, first: 5, last: 0, min: 0, max: 9 },
      { key: 3, first: 0, last: 1, min: 0, max: 4 },
    ])
  })
  it('round-trips through series.json', () => {
    const text = formatSeriesFile(meta, build())
    const back = parseSeriesFile(text, 'series.json')
    expect(back.meta).toEqual(meta)
    expect(back.series.times).toEqual([0, 1000, 2000, 3000])
    samples.forEach((counts, i) => expect(back.series.countsAt(i)).toEqual(counts))
    expect(back.series.totals).toEqual([15, 23, 11, 11])
  })
  it('names the file when series.json is cut short or wrong', () => {
    const text = formatSeriesFile(meta, build())
    expect(() => parseSeriesFile(text.slice(0, text.length / 2), 'rec/series.json')).toThrow(ParseError)
    expect(() => parseSeriesFile(text.slice(0, text.length / 2), 'rec/series.json')).toThrow(/rec\/series.json:0: not JSON/)
    expect(() => parseSeriesFile(text.replace('[1000,2,4,3,4]', '[1000,2,4,3]'), 'rec/series.json')).toThrow(/a sample is \[ms, handle, delta/)
  })
})
