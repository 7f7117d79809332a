import { readFile } from 'node:fs/promises'
import { ReportFileError } from '../errors.js'

/** Reads a JSON file, with a named error for each way it can be wrong. */
export async function readJson(path: string, what: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    throw new ReportFileError(path, `cannot read the ${what}`, { hint: `check the path; the ${what} is written at the end of a test run`, cause })
  }
  try {
    return JSON.parse(text)
  } catch (cause) {
    throw new ReportFileError(path, `the ${what} is not JSON`, { hint: 'it was cut short or edited by hand; run the tests again', cause })
  }
}
