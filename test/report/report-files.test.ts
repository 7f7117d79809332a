import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseReport } from '../../src/report/read.js'
import { ReportFiles } from '../../src/report/writer.js'
import { tempDir } from '../helpers.js'
import { atMost, ddTest } from './fixtures.js'

const inProject = (project: string, title: string) => ({ ...ddTest(title, [atMost(258, 256, 5)]), project })
const read = (path: string) => parseReport(JSON.parse(readFileSync(path, 'utf8')), path)

describe('ReportFiles', () => {
  it('writes one report per project where the path holds [project]', async () => {
    const dir = tempDir()
    const files = new ReportFiles(join(dir, 'page-budget-[project].json'))
    await files.add(inProject('base', 'dd'))
    await files.add(inProject('candidate', 'dd'))
    await files.add(inProject('candidate', 'dd again'))
    const all = await files.finish()
    expect(all.tests.map((test) => `${test.project}: ${test.title[1]}`)).toEqual(['base: dd', 'candidate: dd', 'candidate: dd again'])
    expect(read(join(dir, 'page-budget-base.json')).tests.map((test) => test.title[1])).toEqual(['dd'])
    expect(read(join(dir, 'page-budget-candidate.json'))).toMatchObject({ complete: true, tests: [{ project: 'candidate' }, { project: 'candidate' }] })
  })

  it('writes every project into one report otherwise, and an empty one when no test asserted', async () => {
    const dir = tempDir()
    const one = new ReportFiles(join(dir, 'one.json'))
    await one.add(inProject('base', 'dd'))
    await one.add(inProject('candidate', 'dd'))
    await one.finish()
    expect(read(join(dir, 'one.json')).tests).toHaveLength(2)
    expect(existsSync(join(dir, 'one-base.json'))).toBe(false)
    await new ReportFiles(join(dir, 'none.json')).finish()
    expect(read(join(dir, 'none.json'))).toMatchObject({ complete: true, tests: [] })
  })
})
