import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { writeFileAtomic } from '../../src/io/atomic.js'
import { tempDir } from '../helpers.js'

describe('writeFileAtomic', () => {
  it('replaces the whole file and leaves no temporary behind', async () => {
    const dir = tempDir()
    const file = join(dir, 'deep', 'report.json')
    await writeFileAtomic(file, 'one')
    await writeFileAtomic(file, 'two')
    expect(readFileSync(file, 'utf8')).toBe('two')
    expect(readdirSync(join(dir, 'deep'))).toEqual(['report.json'])
  })
  it('keeps the previous version when the write fails', async () => {
    const dir = tempDir()
    const file = join(dir, 'report.json')
    writeFileSync(file, 'previous')
    mkdirSync(join(dir, 'blocker'))
    await expect(writeFileAtomic(join(dir, 'blocker'), 'x')).rejects.toThrow()
    expect(readFileSync(file, 'utf8')).toBe('previous')
    expect(readdirSync(dir).sort()).toEqual(['blocker', 'report.json'])
  })
})
